package bot

import (
	"slices"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/talkbot/talkbot/answer"
)

func TestStripMentions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"<@900> How long did Witkoff meet Putin?", "How long did Witkoff meet Putin?"},
		{"<@!900> what did <@123> and <@&456> say in <#789>?", "what did and say in ?"},
		{"@everyone why? @here", "why?"},
		{"email me@example.com about <@notanid>", "email me@example.com about <@notanid>"},
	} {
		if got := stripMentions(tc.in); got != tc.want {
			t.Errorf("stripMentions(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestTurnsFrom: only finished answers (with the feedback buttons) are
// turns; a split answer is one turn; plain answers take the user's
// message as their question; previews and notices are not turns.
func TestTurnsFrom(t *testing.T) {
	t.Parallel()
	const me = "900"
	b := &Bot{}
	b.botID.Store(me)
	user := func(text string) *discordgo.Message {
		return &discordgo.Message{Author: &discordgo.User{ID: "1"}, Content: text}
	}
	bot := func(title, text string, buttons bool) *discordgo.Message {
		m := &discordgo.Message{Author: &discordgo.User{ID: me}}
		if title != "" || text != "" {
			m.Embeds = []*discordgo.MessageEmbed{{Title: title, Description: text}}
		}
		if buttons {
			m.Components = feedbackButtons("x")
		}
		return m
	}
	notice := &discordgo.Message{Author: &discordgo.User{ID: me}, Content: "You're asking quickly — try again in 3 s."}
	plain := &discordgo.Message{Author: &discordgo.User{ID: me}, Content: answer.NotFoundText, Components: feedbackButtons("y")}
	for _, tc := range []struct {
		name string
		msgs []*discordgo.Message
		want []answer.Turn
	}{
		{"answer with its title", []*discordgo.Message{user("<@900> q1"), bot("q1", "a1", true)}, []answer.Turn{{Question: "q1", Answer: "a1"}}},
		{"split answer is one turn", []*discordgo.Message{bot("q1", "a1", false), bot("", "a1 continued", true)},
			[]answer.Turn{{Question: "q1", Answer: "a1\na1 continued"}}},
		{"plain not-found answer takes the user's question", []*discordgo.Message{user("<@900> q2"), plain},
			[]answer.Turn{{Question: "q2", Answer: answer.NotFoundText}}},
		{"previews and notices are not turns", []*discordgo.Message{user("q3"), bot("q3", "partial", false), user("q4"), notice,
			bot("q5", "a5", true)}, []answer.Turn{{Question: "q5", Answer: "a5"}}},
		{"nothing", nil, nil},
	} {
		if got := b.turnsFrom(tc.msgs); !slices.Equal(got, tc.want) {
			t.Errorf("%s: turns = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestOlderThan(t *testing.T) {
	t.Parallel()
	msg := func(id string) *discordgo.Message { return &discordgo.Message{ID: id} }
	var ids []string
	for _, m := range olderThan([]*discordgo.Message{msg("1200"), msg("999"), msg("1100"), msg("1000"), nil, msg("10000")}, "1100") {
		ids = append(ids, m.ID)
	}
	if !slices.Equal(ids, []string{"999", "1000"}) {
		t.Errorf("older than 1100: %v", ids)
	}
}
