package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/discordtest"
	"github.com/talkbot/talkbot/retrieval"
)

// router answers by what the question asks for: an error, a long answer,
// a streamed one, or the real pipeline; it records the questions.
type router struct {
	next bot.Answerer
	mu   sync.Mutex
	seen []string
}

func (r *router) AskStream(ctx context.Context, req answer.Request, onDelta func(string)) (answer.Answer, error) {
	r.mu.Lock()
	r.seen = append(r.seen, req.Question)
	r.mu.Unlock()
	switch {
	case strings.Contains(req.Question, "boom"):
		return answer.Answer{}, errors.New("LLM exploded: upstream 500")
	case strings.Contains(req.Question, "everything"):
		a := longAnswer()
		a.Question = req.Question
		return a, nil
	case strings.Contains(req.Question, "stream"):
		for k := range 6 {
			select {
			case <-ctx.Done():
				return answer.Answer{}, ctx.Err()
			case <-time.After(15 * time.Millisecond):
			}
			onDelta(fmt.Sprintf("Part %d of a streamed answer [1]. ", k))
		}
		return answer.Answer{Question: req.Question, Text: "The delegations met for five hours [1].", Found: true, Mode: answer.ModeLLM,
			Citations: []answer.Citation{{N: 1, Doc: "d", Title: "A title", Quote: "They met for five hours."}}}, nil
	}
	return r.next.AskStream(ctx, req, onDelta)
}

func (r *router) questions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen...)
}

// specDocs are filler articles for /sources paging plus articles whose
// URLs Discord would refuse as sent: spaces, non-ASCII, not http(s).
func specDocs() []retrieval.Document {
	var docs []retrieval.Document
	for k := range 12 {
		docs = append(docs, retrieval.Document{ID: fmt.Sprintf("filler_%02d", k), Title: fmt.Sprintf("Filler article %d", k),
			Text: fmt.Sprintf("Filler article %d talks about the weather in spring.", k)})
	}
	return append(docs,
		retrieval.Document{ID: "grain", Title: "Grain report 10", URL: "https://example.com/grain report 10", Site: "example.com",
			Published: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), Text: "The grain report says exports rose. Ships left Odesa."},
		retrieval.Document{ID: "buecher", Title: "Bücher und Straßen", URL: "https://bücher.example/straße?q=äpfel#teil 2",
			Text: "Ein Artikel über Bücher. Er hat zwei Sätze."},
		retrieval.Document{ID: "ftp", Title: "Old archive", URL: "ftp://archive.example/a b", Text: "An archived article. Nothing else."},
	)
}

// TestEveryRequestConformsToDiscord replays every kind of request the bot
// makes — command registration, every command, buttons, autocomplete,
// long split answers, streaming, mentions, DMs, follow-ups and error
// paths — through the fake's validator (Discord's published schema and
// documented rules) and requires zero violations, deprecations included.
func TestEveryRequestConformsToDiscord(t *testing.T) {
	t.Parallel()
	ix := seedIndex(t, specDocs()...)
	ans := &router{next: &answer.Engine{Index: ix}}
	h := start(t, ans, ix, bot.Options{StreamInterval: 20 * time.Millisecond, UserRateLimit: 100, Threads: true})
	me := "<@" + h.srv.BotUserID() + ">"
	isFollowup := func(i *discordgo.Interaction) func(discordtest.Request) bool {
		return func(r discordtest.Request) bool {
			return r.Method == "POST" && r.Path == "/webhooks/"+h.srv.AppID()+"/"+i.Token
		}
	}
	lastFollowup := func(i *discordgo.Interaction) func(discordtest.Request) bool {
		return func(r discordtest.Request) bool { return isFollowup(i)(r) && len(components(r.Body)) > 0 }
	}
	answered := func(channel string) func(discordtest.Request) bool {
		return func(r discordtest.Request) bool {
			return (channelPost(channel)(r) || (r.Method == "PATCH" && strings.HasPrefix(r.Path, "/channels/"+channel+"/"))) && len(components(r.Body)) > 0
		}
	}

	// Commands that answer at once.
	for _, c := range []struct {
		name string
		opts map[string]any
	}{
		{"help", nil}, {"sources", nil}, {"nope", nil},
		{"source", map[string]any{"id": "grain"}}, {"source", map[string]any{"id": "buecher"}},
		{"source", map[string]any{"id": "ftp"}}, {"source", map[string]any{"id": "no such article"}},
		{"source", map[string]any{"id": "002_5f20617c4fac4dcb"}},
	} {
		i := h.dispatch(discordtest.SlashCommand(c.name, c.opts, userA, chanA))
		if r := h.mustWait("/"+c.name, callback(i)); r.Status != http.StatusNoContent {
			t.Errorf("/%s %v answered %d: %s", c.name, c.opts, r.Status, r.Raw)
		}
	}
	// The same in a DM with the bot (an interaction with a user, no member).
	for _, name := range []string{"help", "sources"} {
		i := h.dispatch(discordtest.InDM(discordtest.SlashCommand(name, nil, userB, dmA)))
		h.mustWait("/"+name+" in a DM", callback(i))
	}
	dmAsk := h.dispatch(discordtest.InDM(discordtest.SlashCommand("ask", map[string]any{"question": witkoff}, userB, dmA)))
	h.mustWait("/ask in a DM", finalEdit(dmAsk))

	// /source's embed links to the article, encoded; the ftp one has no link.
	for title, want := range map[string]string{"Grain report 10": "https://example.com/grain%20report%2010",
		"Bücher und Straßen": "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%A4pfel#teil%202", "Old archive": ""} {
		found := false
		for _, r := range h.srv.Requests() {
			if es := embeds(payload(r)); strings.HasSuffix(r.Path, "/callback") && len(es) > 0 && str(es[0], "title") == title {
				found = true
				if u := str(es[0], "url"); u != want {
					t.Errorf("/source %q: embed url %q, want %q", title, u, want)
				}
			}
		}
		if !found {
			t.Errorf("no /source response for %q", title)
		}
	}

	// Buttons: page through /sources, a stale button, feedback.
	src := h.dispatch(discordtest.SlashCommand("sources", nil, userA, chanB))
	h.mustWait("/sources", callback(src))
	for _, id := range []string{"src:1", "src:x", "zz:1"} {
		c := h.dispatch(discordtest.ButtonClick(id, userA, chanB, h.srv.Original(src.ID)))
		h.mustWait("button "+id, callback(c))
	}
	// Autocomplete, empty and typed.
	for _, typed := range []string{"", "grain", "zzzz"} {
		a := h.dispatch(discordtest.Autocomplete("source", "id", typed, userA, chanA))
		h.mustWait("autocomplete "+typed, callback(a))
	}

	// /ask: found, private, not found, long split (public and private),
	// streamed, an error (public and private), a mention in the question,
	// and a question too long.
	for _, q := range []struct {
		text    string
		private bool
		done    func(*discordgo.Interaction) func(discordtest.Request) bool
	}{
		{witkoff, false, finalEdit},
		{witkoff, true, finalEdit},
		{"what is the capital of mars", false, finalEdit},
		{"tell me everything", false, lastFollowup},
		{"tell me everything", true, lastFollowup},
		{"stream it please", false, finalEdit},
		{"boom", false, isFollowup},
		{"boom", true, finalEdit0},
		{"what did <@123> and <@&456> say in <#789> about Witkoff", false, finalEdit},
		{strings.Repeat("why ", 300), false, callback},
	} {
		i := h.ask(userA, chanA, q.text, q.private)
		h.mustWait("/ask "+q.text[:min(len(q.text), 20)], q.done(i))
	}

	// The error path when the deferred response cannot be deleted: the
	// public message gets a neutral text, the error goes privately.
	h.srv.FailNext("DELETE", "/webhooks/", http.StatusInternalServerError, 0)
	boom := h.ask(userB, chanB, "boom again", false)
	notice := h.mustWait("private error notice", isFollowup(boom))
	if o := h.srv.Original(boom.ID); o == nil || strings.Contains(o.Content, boom.ID) || o.Flags&discordgo.MessageFlagsEphemeral != 0 {
		t.Errorf("the public response shows %+v; want a neutral text, not the error", o)
	}
	for _, m := range h.srv.Messages(chanB) {
		if m.Flags&discordgo.MessageFlagsEphemeral == 0 && strings.Contains(m.Content, "went wrong") {
			t.Errorf("an error notice is public: %q", m.Content)
		}
	}
	if flags(notice.Body)&int(discordgo.MessageFlagsEphemeral) == 0 || !strings.Contains(str(notice.Body, "content"), boom.ID) {
		t.Errorf("error notice = %v; want it ephemeral with the request id", notice.Body)
	}

	// Mentions, DMs, replies: found, long split, streamed, error, the hint
	// for a mention with nothing else, and a follow-up reply.
	first := h.message(discordtest.GuildMessage(me+" "+witkoff, userA, chanA))
	h.mustWait("mention answer", answered(chanA))
	answer0 := h.srv.Messages(chanA)
	h.message(discordtest.Reply(answer0[len(answer0)-1], "how long exactly?", userA))
	_ = first
	for _, m := range []*discordgo.Message{
		discordtest.GuildMessage(me+" tell me everything", userB, "700000000000000003"),
		discordtest.GuildMessage(me+" stream it please", userB, "700000000000000004"),
		discordtest.DirectMessage("tell me everything", userB, dmA),
	} {
		h.message(m)
		h.mustWait("answer to "+m.Content, answered(m.ChannelID))
	}
	h.message(discordtest.GuildMessage(me+" boom", userB, "700000000000000005"))
	h.mustWait("error reply", channelPost("700000000000000005"))
	h.message(discordtest.GuildMessage(me+" <@123>", userB, "700000000000000006"))
	h.mustWait("hint", channelPost("700000000000000006"))

	// Feedback on an answer.
	fb := h.ask(userB, chanB, witkoff, false)
	h.mustWait("answer", finalEdit(fb))
	for _, id := range []string{"fb:up:" + fb.ID, "fb:up:" + fb.ID, "fb:down:" + fb.ID} {
		c := h.dispatch(discordtest.ButtonClick(id, userA, chanB, h.srv.Original(fb.ID)))
		h.mustWait("feedback", callback(c))
	}

	eventually(t, "all answers done", func() bool { return h.bot.Stats().InFlight == 0 })
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	for _, q := range ans.questions() {
		if strings.Contains(q, "<@") || strings.Contains(q, "<#") {
			t.Errorf("a mention reached the answerer: %q", q)
		}
	}
	reqs := h.srv.Requests()
	kinds := map[string]int{}
	for _, r := range reqs {
		kinds[r.Method+" "+routeKind(r.Path)]++
		if r.Status >= 400 && !(r.Method == "DELETE" && r.Status == http.StatusInternalServerError) {
			t.Errorf("%s %s answered %d: %s", r.Method, r.Path, r.Status, r.Raw)
		}
	}
	for _, v := range h.srv.Violations() {
		t.Errorf("violation: %s", v)
	}
	t.Logf("%d requests replayed through the validator: %v", len(reqs), kinds)
}

// finalEdit0 matches the edit that shows a private error (no buttons).
func finalEdit0(i *discordgo.Interaction) func(discordtest.Request) bool {
	return func(r discordtest.Request) bool {
		return r.Method == "PATCH" && strings.HasSuffix(r.Path, "/"+i.Token+"/messages/@original") && strings.Contains(str(r.Body, "content"), i.ID)
	}
}

// routeKind names a request path without its IDs.
func routeKind(p string) string {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	for k, s := range parts {
		if len(s) > 12 || strings.HasPrefix(s, "itoken-") || strings.HasPrefix(s, "700") || strings.HasPrefix(s, "710") {
			parts[k] = "*"
		}
	}
	return "/" + strings.Join(parts, "/")
}

// TestStartupConformsToDiscord: registration (global and per guild) and
// IDENTIFY follow the current docs: contexts instead of dm_permission,
// os/browser/device without "$", presence online with activities.
func TestStartupConformsToDiscord(t *testing.T) {
	t.Parallel()
	for _, guild := range []string{"", discordtest.DefaultGuildID} {
		t.Run("guild="+guild, func(t *testing.T) {
			t.Parallel()
			ix := seedIndex(t)
			h := start(t, &answer.Engine{Index: ix}, ix, bot.Options{GuildID: guild})
			for _, v := range h.srv.Violations() {
				t.Errorf("violation: %s", v)
			}
			var id struct {
				Properties map[string]string `json:"properties"`
				Presence   map[string]any    `json:"presence"`
			}
			if err := json.Unmarshal(h.srv.IdentifyPayload(), &id); err != nil {
				t.Fatal(err)
			}
			if id.Properties["os"] != runtime.GOOS || id.Properties["browser"] != "talkbot" || id.Properties["device"] != "talkbot" || len(id.Properties) != 3 {
				t.Errorf("IDENTIFY properties = %v", id.Properties)
			}
			if _, game := id.Presence["game"]; game || id.Presence["status"] != "online" {
				t.Errorf("IDENTIFY presence = %v", id.Presence)
			}
			for _, c := range h.srv.Commands(guild) {
				if c.DMPermission != nil || c.Contexts == nil || !slices.Equal(*c.Contexts, []discordgo.InteractionContextType{0, 1}) ||
					c.IntegrationTypes == nil || !slices.Equal(*c.IntegrationTypes, []discordgo.ApplicationIntegrationType{0}) {
					t.Errorf("/%s declared with dm_permission %v, contexts %v, integration types %v", c.Name, c.DMPermission, c.Contexts, c.IntegrationTypes)
				}
			}
		})
	}
}

// TestErrorNeverPublicWhenTheResponseCannotBeSettled: if the deferred
// response can be neither deleted nor edited, no follow-up is sent — it
// would take over the public "thinking…" message.
func TestErrorNeverPublicWhenTheResponseCannotBeSettled(t *testing.T) {
	t.Parallel()
	h := start(t, &scripted{err: errors.New("LLM exploded")}, seedIndex(t), bot.Options{})
	h.srv.FailNext("DELETE", "/webhooks/", http.StatusInternalServerError, 0)
	h.srv.FailNext("PATCH", "/webhooks/", http.StatusInternalServerError, 0)
	i := h.ask(userA, chanA, witkoff, false)
	h.mustWait("the failed settle", func(r discordtest.Request) bool {
		return r.Method == "PATCH" && strings.HasSuffix(r.Path, i.Token+"/messages/@original")
	})
	eventually(t, "the answer to end", func() bool { return h.bot.Stats().InFlight == 0 })
	for _, r := range h.srv.Requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/"+i.Token) {
			t.Errorf("a follow-up was sent and would replace the public message: %s", r.Raw)
		}
	}
	for _, m := range h.srv.Messages(chanA) {
		if strings.Contains(m.Content, "went wrong") {
			t.Errorf("error shown publicly: %q", m.Content)
		}
	}
}
