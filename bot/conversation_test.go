package bot_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/discordtest"
)

const (
	donbas = "What does Russia control in the Donbas region?"
	userC  = "500000000000000003"
	dmB    = "710000000000000002"
)

// answerTo waits for the bot's final answer (the message with the feedback
// buttons) replying to m, and returns it.
func (h *harness) answerTo(m *discordgo.Message) *discordgo.Message {
	h.t.Helper()
	var got *discordgo.Message
	ok := waitUntil(10*time.Second, func() bool {
		for _, x := range h.srv.Messages(m.ChannelID) {
			if x.MessageReference != nil && x.MessageReference.MessageID == m.ID && len(x.Components) > 0 {
				got = x
				return true
			}
		}
		return false
	})
	if !ok {
		h.t.Fatalf("no answer to %q in channel %s\nlog:\n%s", m.Content, m.ChannelID, h.logs.String())
	}
	return got
}

func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// answerBody is what a user reads of an answer: its text and its quotes.
func answerBody(m *discordgo.Message) string {
	var b strings.Builder
	b.WriteString(m.Content)
	for _, e := range m.Embeds {
		b.WriteString("\n" + e.Description)
		for _, f := range e.Fields {
			b.WriteString("\n" + f.Value)
		}
	}
	return b.String()
}

// TestThreadConversation: with Threads on, an answer to a mention opens a
// thread named after the question; mentions in the thread continue the
// conversation over four turns without losing its subject, and answers
// inside the thread open no further threads.
func TestThreadConversation(t *testing.T) {
	t.Parallel()
	eng, ix := engine(t)
	rec := &recorder{next: eng}
	h := start(t, rec, ix, bot.Options{Threads: true, UserRateLimit: 100})
	me := h.srv.BotUserID()

	q1 := h.message(discordtest.GuildMessage("<@"+me+"> "+donbas, userA, chanA))
	a1 := h.answerTo(q1)
	start := h.mustWait("thread start", func(r discordtest.Request) bool {
		return r.Method == "POST" && r.Path == "/channels/"+chanA+"/messages/"+a1.ID+"/threads"
	})
	if start.Status != 201 || str(start.Body, "name") != donbas {
		t.Fatalf("thread start: %d %s", start.Status, start.Raw)
	}
	th := h.srv.Channel(a1.ID)
	if th == nil || !th.IsThread() || th.ParentID != chanA {
		t.Fatalf("no thread on the answer: %+v", th)
	}

	turns := []struct {
		q, must string
	}{
		{"why?", "Donbas"},
		{"what did putin say about that", "Putin"},
		{"and when?", "Donbas"},
	}
	for k, turn := range turns {
		m := h.message(discordtest.GuildMessage("<@"+me+"> "+turn.q, userA, th.ID))
		a := h.answerTo(m)
		body := answerBody(a)
		if !strings.Contains(body, "Donbas") || !strings.Contains(body, turn.must) {
			t.Errorf("turn %d %q lost the subject:\n%s", k+2, turn.q, body)
		}
		reqs := rec.requests()
		hist := reqs[len(reqs)-1].History
		if len(hist) != k+1 || hist[0].Question != donbas {
			t.Errorf("turn %d history = %+v, want %d turns starting with the first question", k+2, hist, k+1)
		}
	}
	// The thread's answers stay in the thread; only the first opened one.
	threads := 0
	for _, r := range h.srv.Requests() {
		if strings.HasSuffix(r.Path, "/threads") {
			threads++
		}
	}
	if threads != 1 || len(h.srv.Messages(th.ID)) != 3 || len(h.srv.Messages(chanA)) != 1 {
		t.Errorf("%d thread starts, %d answers in the thread, %d in the channel; want 1, 3, 1",
			threads, len(h.srv.Messages(th.ID)), len(h.srv.Messages(chanA)))
	}

	// A thread people started themselves works the same, with no starter.
	own := h.srv.StartThread(chanA, "talk", userB)
	m := h.message(discordtest.GuildMessage("<@"+me+"> "+witkoff, userB, own))
	if body := answerBody(h.answerTo(m)); !strings.Contains(body, "five") {
		t.Errorf("answer in a user's thread = %s", body)
	}
}

// TestDMConversationWithoutReplies: in a DM people just keep typing; the
// earlier answers are the history, back to the last long pause.
func TestDMConversationWithoutReplies(t *testing.T) {
	t.Parallel()
	eng, ix := engine(t)
	rec := &recorder{next: eng}
	h := start(t, rec, ix, bot.Options{UserRateLimit: 100})
	me := h.srv.BotUserID()

	// An answer from yesterday is not part of today's conversation.
	old := &discordgo.Message{ChannelID: dmA, Author: &discordgo.User{ID: me, Username: "talkbot", Bot: true},
		Timestamp: time.Now().Add(-26 * time.Hour),
		Embeds:    []*discordgo.MessageEmbed{{Title: "How long did Witkoff meet Putin?", Description: "About five hours [1]."}},
		Components: []discordgo.MessageComponent{&discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			&discordgo.Button{CustomID: "fb:up:1", Label: "up"}}}}}
	h.srv.StoreMessage(old)

	q1 := h.message(discordtest.DirectMessage(donbas, userA, dmA))
	h.answerTo(q1)
	if hist := rec.requests()[0].History; len(hist) != 0 {
		t.Errorf("first question of the day got yesterday's history: %+v", hist)
	}
	q2 := h.message(discordtest.DirectMessage("why?", userA, dmA))
	a2 := h.answerTo(q2)
	if body := answerBody(a2); !strings.Contains(body, "Donbas") {
		t.Errorf("follow-up in the DM lost the subject: %s", body)
	}
	hist := rec.requests()[1].History
	if len(hist) != 1 || hist[0].Question != donbas || !strings.Contains(hist[0].Answer, "Donbas") {
		t.Errorf("DM follow-up history = %+v", hist)
	}
	// Nobody else's DM leaks in.
	q3 := h.message(discordtest.DirectMessage("why?", userB, dmB))
	h.answerTo(q3)
	if hist := rec.requests()[2].History; len(hist) != 0 {
		t.Errorf("another user's DM got history %+v", hist)
	}
}

// TestChainedMessagesAreOneQuestion: back-to-back messages from one user
// are answered once, as one question, replying to the last; another user's
// message in the same channel meanwhile is its own question.
func TestChainedMessagesAreOneQuestion(t *testing.T) {
	t.Parallel()
	eng, ix := engine(t)
	rec := &recorder{next: eng}
	// Wide enough that a loaded machine still delivers the parts within it.
	const window = 800 * time.Millisecond
	h := start(t, rec, ix, bot.Options{ChainWindow: window})
	me := h.srv.BotUserID()

	for _, tc := range []struct {
		name, channel string
		msg           func(text, user string) *discordgo.Message
	}{
		{"dm", dmA, func(text, user string) *discordgo.Message { return discordtest.DirectMessage(text, user, dmA) }},
		{"mention", chanA, func(text, user string) *discordgo.Message {
			return discordtest.GuildMessage("<@"+me+"> "+text, user, chanA)
		}},
	} {
		before := len(rec.requests())
		t0 := time.Now()
		// Other people's, roles' and channels' mentions are not searched for.
		h.message(tc.msg("<@&800000000000000001> How long did <#700000000000000009> Witkoff", userA))
		other := h.message(tc.msg("Who is Zelensky?", userB))
		last := h.message(tc.msg("meet Putin?", userA))
		a := h.answerTo(last)
		h.answerTo(other)
		if body := answerBody(a); !strings.Contains(body, "five") {
			t.Errorf("%s: chained question answered as %s", tc.name, body)
		}
		// The bot shows it is typing while the question is still being typed.
		early := false
		for _, r := range h.srv.Requests() {
			early = early || (r.Path == "/channels/"+tc.channel+"/typing" && r.At.After(t0) && r.At.Sub(t0) < window)
		}
		if !early {
			t.Errorf("%s: no typing indicator within the chain window", tc.name)
		}
		time.Sleep(600 * time.Millisecond) // a stray third answer would come by now
		var qs []string
		for _, r := range rec.requests()[before:] {
			qs = append(qs, r.Question)
		}
		slices.Sort(qs)
		if !slices.Equal(qs, []string{"How long did Witkoff meet Putin?", "Who is Zelensky?"}) {
			t.Errorf("%s: questions asked = %q", tc.name, qs)
		}
		if n := len(h.srv.Messages(tc.channel)); n != 2 {
			t.Errorf("%s: %d bot messages, want 2 answers", tc.name, n)
		}
	}
}

// TestReplyWithoutContentGetsHint: without the Message Content intent a
// reply that does not ping the bot arrives blank; the user is told once
// an hour how to reach the bot. With the intent the reply is answered.
func TestReplyWithoutContentGetsHint(t *testing.T) {
	t.Parallel()
	for _, content := range []bool{false, true} {
		t.Run(fmt.Sprintf("message_content=%v", content), func(t *testing.T) {
			t.Parallel()
			eng, ix := engine(t)
			rec := &recorder{next: eng}
			h := start(t, rec, ix, bot.Options{MessageContent: content, Threads: content, UserRateLimit: 100})
			me := h.srv.BotUserID()
			if got := h.srv.Intents()&discordgo.IntentsMessageContent != 0; got != content {
				t.Fatalf("Message Content intent requested = %v", got)
			}
			a1 := h.answerTo(h.message(discordtest.GuildMessage("<@"+me+"> "+witkoff, userA, chanA)))

			silentReply := func(user, text string) *discordgo.Message {
				r := discordtest.Reply(a1, text, user)
				r.Mentions = []*discordgo.User{} // the reply's @ ping turned off
				return h.message(r)
			}
			r1 := silentReply(userA, "and what did Zelensky say about it?")
			if content {
				a := h.answerTo(r1)
				if body := answerBody(a); !strings.Contains(body, "Zelensky") {
					t.Errorf("plain reply answered with %s", body)
				}
				if hist := rec.requests()[1].History; len(hist) != 1 || hist[0].Question != witkoff {
					t.Errorf("plain reply history = %+v", hist)
				}
				// In the thread the bot opened, plain messages are questions too.
				if !waitUntil(5*time.Second, func() bool { return strings.Contains(h.logs.String(), "thread="+a1.ID) }) {
					t.Fatalf("no thread opened on the answer\nlog:\n%s", h.logs.String())
				}
				m := discordtest.GuildMessage("and why?", userA, a1.ID)
				m.Mentions = []*discordgo.User{}
				h.answerTo(h.message(m))
				if hist := rec.requests()[2].History; len(hist) != 1 || hist[0].Question != witkoff {
					t.Errorf("plain message in the thread: history = %+v", hist)
				}
				return
			}
			hint := h.mustWait("hint", func(r discordtest.Request) bool {
				ref, _ := r.Body["message_reference"].(map[string]any)
				return r.Method == "POST" && r.Path == "/channels/"+chanA+"/messages" && ref["message_id"] == r1.ID
			})
			if c := str(hint.Body, "content"); !strings.Contains(c, "mention me") || !strings.Contains(c, "/ask") {
				t.Errorf("hint = %q", c)
			}
			silentReply(userA, "hello?")
			r3 := silentReply(userB, "and Zelensky?")
			h.mustWait("hint for another user", func(r discordtest.Request) bool {
				ref, _ := r.Body["message_reference"].(map[string]any)
				return r.Method == "POST" && ref["message_id"] == r3.ID
			})
			time.Sleep(300 * time.Millisecond)
			// One answer and one hint per user: the second blank reply got nothing.
			if n := len(h.srv.Messages(chanA)); n != 3 {
				t.Errorf("%d bot messages, want the answer and two hints", n)
			}
			if n := len(rec.requests()); n != 1 {
				t.Errorf("blank replies reached the answerer: %d questions", n)
			}
		})
	}
}

// TestConcurrentAnswersStayInChannelBudget: answers at once in one channel
// share its budget: Discord never sees more than the budget of posts and
// edits in any window, and every final text lands. Three streamed answers
// (each alone would edit every 50 ms), and eight answers to mentions
// within a moment.
func TestConcurrentAnswersStayInChannelBudget(t *testing.T) {
	t.Parallel()
	var deltas []string
	for k := range 40 {
		deltas = append(deltas, fmt.Sprintf("word%d ", k))
	}
	final := answer.Answer{Text: "The final, checked answer [1].", Found: true, Mode: answer.ModeLLM, Model: "m",
		Citations: []answer.Citation{{N: 1, Title: "t", Quote: "q"}}}
	const budget, window = 5, 500 * time.Millisecond
	for _, tc := range []struct {
		name     string
		askers   int
		deltas   []string
		previews bool
	}{
		{"three streamed answers", 3, deltas, true},
		{"eight answers", 8, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ix := seedIndex(t)
			h := start(t, &scripted{answer: final, deltas: tc.deltas, every: 15 * time.Millisecond}, ix,
				bot.Options{StreamInterval: 50 * time.Millisecond, ChannelBudget: budget, ChannelWindow: window, MaxConcurrent: 8})
			me := h.srv.BotUserID()
			var qs []*discordgo.Message
			for k := range tc.askers {
				user := fmt.Sprintf("5000000000000001%02d", k)
				qs = append(qs, h.message(discordtest.GuildMessage(fmt.Sprintf("<@%s> question %d", me, k), user, chanA)))
			}
			for k, q := range qs {
				a := h.answerTo(q)
				if len(a.Embeds) == 0 || a.Embeds[0].Description != final.Text || a.Embeds[0].Title != fmt.Sprintf("question %d", k) {
					t.Errorf("answer %d is not the final text: %+v", k, a.Embeds)
				}
			}
			var writes []time.Time
			for _, r := range h.srv.Requests() {
				if (r.Method == "POST" || r.Method == "PATCH") && strings.HasPrefix(r.Path, "/channels/"+chanA+"/messages") {
					writes = append(writes, r.At)
				}
			}
			slices.SortFunc(writes, func(a, b time.Time) int { return a.Compare(b) })
			worst := 0
			for i := range writes {
				n := 0
				for _, w := range writes[i:] {
					if w.Sub(writes[i]) < window {
						n++
					}
				}
				worst = max(worst, n)
			}
			if worst > budget {
				t.Errorf("%d writes within one %v window, budget %d (%d writes in all)", worst, window, budget, len(writes))
			}
			// Previews still showed: more writes than the finals.
			if tc.previews && len(writes) <= tc.askers {
				t.Errorf("only %d writes: no previews were shown", len(writes))
			}
			t.Logf("%d writes for %d answers, at most %d per %v", len(writes), tc.askers, worst, window)
		})
	}
}

// TestShards: a second shard answers but leaves the commands to shard 0;
// asked to, the bot takes Discord's recommended shard count; a shard ID
// outside it is refused with what to do.
func TestShards(t *testing.T) {
	t.Parallel()
	registered := func(h *harness) int {
		n := 0
		for _, r := range h.srv.Requests() {
			if r.Method == "PUT" && strings.HasSuffix(r.Path, "/commands") {
				n++
			}
		}
		return n
	}
	t.Run("second shard", func(t *testing.T) {
		t.Parallel()
		eng, ix := engine(t)
		h := start(t, eng, ix, bot.Options{ShardID: 1, ShardCount: 2})
		if n := registered(h); n != 0 {
			t.Errorf("shard 1 registered the commands %d times", n)
		}
		h.answerTo(h.message(discordtest.GuildMessage("<@"+h.srv.BotUserID()+"> "+witkoff, userA, chanA)))
	})
	t.Run("recommended count", func(t *testing.T) {
		t.Parallel()
		eng, ix := engine(t)
		h := start(t, eng, ix, bot.Options{ShardCount: -1})
		h.mustWait("GET gateway/bot", func(r discordtest.Request) bool { return r.Method == "GET" && r.Path == "/gateway/bot" })
		if n := registered(h); n != 1 {
			t.Errorf("shard 0 of the recommended 1 registered the commands %d times", n)
		}
	})
	t.Run("shard outside the recommended count", func(t *testing.T) {
		t.Parallel()
		srv := discordtest.New(t)
		eng, ix := engine(t)
		b, err := bot.New(eng, ix, bot.Options{Token: testToken, APIURL: srv.APIURL(), ShardID: 3, ShardCount: -1})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = b.Run(ctx)
		if err == nil || !strings.Contains(err.Error(), "recommends") {
			t.Errorf("Run = %v, want the recommended count named", err)
		}
	})
	t.Run("invalid options", func(t *testing.T) {
		t.Parallel()
		ix := seedIndex(t)
		for _, o := range []bot.Options{{ShardID: 2, ShardCount: 2}, {ShardID: 1}, {ShardID: -1, ShardCount: 2}} {
			o.Token = testToken
			if _, err := bot.New(&scripted{}, ix, o); err == nil || !strings.Contains(err.Error(), "shard") {
				t.Errorf("New(shard %d of %d) = %v", o.ShardID, o.ShardCount, err)
			}
		}
	})
}

// TestThreadsFollowAllowedChannels: a thread counts as its parent channel
// for TALKBOT_ALLOWED_CHANNELS.
func TestThreadsFollowAllowedChannels(t *testing.T) {
	t.Parallel()
	eng, ix := engine(t)
	h := start(t, eng, ix, bot.Options{AllowedChannels: []string{chanA}})
	me := h.srv.BotUserID()
	inB := h.srv.StartThread(chanB, "elsewhere", userA)
	h.message(discordtest.GuildMessage("<@"+me+"> "+witkoff, userA, inB))
	inA := h.srv.StartThread(chanA, "here", userA)
	h.answerTo(h.message(discordtest.GuildMessage("<@"+me+"> "+witkoff, userA, inA)))
	time.Sleep(200 * time.Millisecond)
	if n := len(h.srv.Messages(inB)); n != 0 {
		t.Errorf("answered %d times in a thread of a channel outside the list", n)
	}
}
