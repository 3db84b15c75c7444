package bot

import (
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/talkbot/talkbot/answer"
)

// QuestionLog records every question the bot answers and the 👍/👎 it gets,
// so an operator can see what the articles do not cover (`talkbot report`).
// The bot calls it after the answer was shown; methods are called from many
// goroutines and must return at once and never fail the answer: queue, and
// write elsewhere.
type QuestionLog interface {
	// Asked records one finished question: answered, not found or failed.
	Asked(q AskedQuestion)
	// Voted records a 👍/👎 click on the answer with that AnswerID. A user's
	// later vote on the same answer replaces the earlier one.
	Voted(v FeedbackVote)
}

// AskedQuestion is one question as the bot saw and answered it.
type AskedQuestion struct {
	// AnswerID is the request ID (the Discord event's ID), which the
	// answer's feedback buttons carry, so votes can name the answer.
	AnswerID  string
	At        time.Time // when the question arrived
	Surface   string    // a Surface* constant
	GuildID   string    // "" in DMs
	ChannelID string
	UserID    string // the asker's Discord ID; the log must not keep it as is
	Question  string
	Answer    answer.Answer // zero when Error is set
	Error     string        // why answering or showing the answer failed, with secrets removed
	Took      time.Duration // from the event to the final message
}

// FeedbackVote is one 👍 ("up") or 👎 ("down") click.
type FeedbackVote struct {
	AnswerID  string
	UserID    string
	Vote      string
	GuildID   string
	ChannelID string
	At        time.Time
}

// logQuestion hands a finished question to the question log, if any.
func (b *Bot) logQuestion(q question, a answer.Answer, err error, took time.Duration) {
	if b.opts.QuestionLog == nil {
		return
	}
	guild, channel := place(q.out)
	aq := AskedQuestion{AnswerID: q.id, At: q.received, Surface: q.surface, GuildID: guild, ChannelID: channel,
		UserID: q.user, Question: q.req.Question, Answer: a, Took: took}
	if err != nil {
		aq.Error = redact(err.Error(), q.token)
	}
	b.opts.QuestionLog.Asked(aq)
}

// logVote hands a new or changed vote to the question log, if any.
func (b *Bot) logVote(i *discordgo.Interaction, vote, answerID string) {
	if b.opts.QuestionLog == nil {
		return
	}
	b.opts.QuestionLog.Voted(FeedbackVote{AnswerID: answerID, UserID: interactionUser(i), Vote: vote,
		GuildID: i.GuildID, ChannelID: i.ChannelID, At: time.Now()})
}

// place is where an answer was shown: the guild ("" in DMs) and channel.
func place(out output) (guild, channel string) {
	switch o := out.(type) {
	case *interactionOutput:
		return o.i.GuildID, o.i.ChannelID
	case *messageOutput:
		return o.m.GuildID, o.m.ChannelID
	}
	return "", ""
}
