package bot_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/discordtest"
)

// memLog is a QuestionLog that keeps what the bot hands it.
type memLog struct {
	mu    sync.Mutex
	asked []bot.AskedQuestion
	votes []bot.FeedbackVote
}

func (l *memLog) Asked(q bot.AskedQuestion) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.asked = append(l.asked, q)
}

func (l *memLog) Voted(v bot.FeedbackVote) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.votes = append(l.votes, v)
}

func (l *memLog) snapshot() ([]bot.AskedQuestion, []bot.FeedbackVote) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]bot.AskedQuestion(nil), l.asked...), append([]bot.FeedbackVote(nil), l.votes...)
}

// Every surface hands the question log what an operator needs: where, who
// (to be hashed by the log), the answer with its citations, and votes that
// name the answer by the ID its buttons carry.
func TestQuestionLogGetsEveryQuestionAndVote(t *testing.T) {
	t.Parallel()
	eng, ix := engine(t)
	ql := &memLog{}
	h := start(t, eng, ix, bot.Options{QuestionLog: ql})
	me := h.srv.BotUserID()

	start := time.Now()
	i := h.ask(userA, chanA, witkoff, false)
	h.mustWait("the slash answer", finalEdit(i))
	m := h.message(discordtest.GuildMessage("<@"+me+"> What is the population of Mars?", userB, chanB))
	h.mustWait("the mention answer", func(r discordtest.Request) bool { return channelPost(chanB)(r) && len(components(r.Body)) > 0 })
	dm := h.message(discordtest.DirectMessage("Who won the Kenya election?", userA, dmA))
	h.mustWait("the DM answer", func(r discordtest.Request) bool { return channelPost(dmA)(r) && len(components(r.Body)) > 0 })
	eventually(t, "three logged questions", func() bool { a, _ := ql.snapshot(); return len(a) == 3 })

	asked, _ := ql.snapshot()
	byID := map[string]bot.AskedQuestion{}
	for _, q := range asked {
		byID[q.AnswerID] = q
		if q.At.Before(start.Add(-time.Second)) || q.Took <= 0 || q.Error != "" || q.Answer.Mode != answer.ModeExtractive {
			t.Errorf("logged %+v: want arrival time, latency, mode and no error", q)
		}
	}
	for _, tc := range []struct {
		id, surface, guild, channel, user, question string
		found                                       bool
	}{
		{i.ID, bot.SurfaceSlash, discordtest.DefaultGuildID, chanA, userA, witkoff, true},
		{m.ID, bot.SurfaceMention, discordtest.DefaultGuildID, chanB, userB, "What is the population of Mars?", false},
		{dm.ID, bot.SurfaceDM, "", dmA, userA, "Who won the Kenya election?", false},
	} {
		q, ok := byID[tc.id]
		if !ok {
			t.Errorf("question %q not logged under its answer ID %s", tc.question, tc.id)
			continue
		}
		if q.Surface != tc.surface || q.GuildID != tc.guild || q.ChannelID != tc.channel || q.UserID != tc.user ||
			q.Question != tc.question || q.Answer.Found != tc.found {
			t.Errorf("logged %+v\nwant surface %s, guild %q, channel %s, user %s, question %q, found %v",
				q, tc.surface, tc.guild, tc.channel, tc.user, tc.question, tc.found)
		}
		if tc.found && (len(q.Answer.Citations) == 0 || q.Answer.Citations[0].Doc == "" || !strings.Contains(q.Answer.Text, "[1]")) {
			t.Errorf("the found answer was logged without its citations: %+v", q.Answer)
		}
	}

	// Votes: a repeated click is not a second vote; a changed one is.
	msg := h.srv.Original(i.ID)
	for _, c := range []struct{ user, id string }{
		{userB, "fb:down:" + i.ID}, {userB, "fb:down:" + i.ID}, {userA, "fb:up:" + i.ID}, {userA, "fb:down:" + i.ID},
	} {
		h.mustWait("feedback ack", callback(h.dispatch(discordtest.ButtonClick(c.id, c.user, chanA, msg))))
	}
	_, votes := ql.snapshot()
	var got []string
	for _, v := range votes {
		if v.AnswerID != i.ID || v.ChannelID != chanA || v.At.IsZero() {
			t.Errorf("vote %+v does not name the answer it was about", v)
		}
		got = append(got, v.UserID+":"+v.Vote)
	}
	if want := []string{userB + ":down", userA + ":up", userA + ":down"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("votes logged = %v, want %v", got, want)
	}
}

// A failed answer is logged with its error, and the interaction token
// never reaches the log.
func TestQuestionLogGetsFailures(t *testing.T) {
	t.Parallel()
	_, ix := engine(t)
	ql := &memLog{}
	h := start(t, &scripted{err: errors.New("the model server hung up")}, ix, bot.Options{QuestionLog: ql})
	i := h.ask(userA, chanA, witkoff, true)
	h.mustWait("the error notice", func(r discordtest.Request) bool {
		return strings.HasSuffix(r.Path, "/"+i.Token+"/messages/@original") && r.Method == "PATCH"
	})
	eventually(t, "the failure logged", func() bool { a, _ := ql.snapshot(); return len(a) == 1 })
	asked, _ := ql.snapshot()
	if q := asked[0]; !strings.Contains(q.Error, "hung up") || q.AnswerID != i.ID || strings.Contains(q.Error, i.Token) {
		t.Errorf("logged failure = %+v", q)
	}
}
