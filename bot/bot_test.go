package bot_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/bot/discordtest"
	"github.com/talkbot/talkbot/retrieval"
)

const witkoff = "How long did Witkoff meet Putin?"

func TestStartRegistersCommandsOnceWithoutPrivilegedIntents(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, guild string
	}{
		{"global", ""},
		{"guild", discordtest.DefaultGuildID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			eng, ix := engine(t)
			h := start(t, eng, ix, bot.Options{GuildID: tc.guild})
			var puts []discordtest.Request
			for _, r := range h.srv.Requests() {
				if r.Method == "PUT" && strings.HasSuffix(r.Path, "/commands") {
					puts = append(puts, r)
				}
			}
			want := "/applications/" + h.srv.AppID() + "/commands"
			if tc.guild != "" {
				want = "/applications/" + h.srv.AppID() + "/guilds/" + tc.guild + "/commands"
			}
			if len(puts) != 1 || puts[0].Path != want {
				t.Fatalf("command registration: %d PUTs, want one to %s: %+v", len(puts), want, puts)
			}
			var names []string
			for _, c := range h.srv.Commands(tc.guild) {
				names = append(names, c.Name)
			}
			sort.Strings(names)
			if !slices.Equal(names, []string{"ask", "help", "source", "sources"}) {
				t.Errorf("registered commands = %v", names)
			}
			in := h.srv.Intents()
			wantIntents := discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages
			if in != wantIntents || in&discordgo.IntentsMessageContent != 0 {
				t.Errorf("intents = %b, want %b (no Message Content)", in, wantIntents)
			}
			if h.srv.Token() != "Bot "+testToken {
				t.Errorf("identified with the wrong token")
			}
			eventually(t, "Ready", h.bot.Ready)
		})
	}
}

func TestAskDeferredThenEditedWithCitedEmbed(t *testing.T) {
	t.Parallel()
	eng, ix := engine(t)
	obs := &observed{}
	h := start(t, eng, ix, bot.Options{Observer: obs})

	sent := time.Now()
	i := h.ask(userA, chanA, witkoff, false)
	cb := h.mustWait("the deferred response", callback(i))
	t.Logf("event → defer callback: %v (target < 100 ms)", cb.At.Sub(sent).Round(time.Microsecond))
	if cb.Body["type"] != float64(discordgo.InteractionResponseDeferredChannelMessageWithSource) || cb.Status != 204 {
		t.Fatalf("first response = %v (status %d), want a deferred response", cb.Body, cb.Status)
	}
	if flags(payload(cb))&int(discordgo.MessageFlagsEphemeral) != 0 {
		t.Errorf("a public /ask was deferred as ephemeral")
	}
	edit := h.mustWait("the answer", finalEdit(i))
	es := embeds(edit.Body)
	if len(es) != 1 {
		t.Fatalf("answer has %d embeds: %v", len(es), edit.Body)
	}
	e := es[0]
	if str(e, "title") != witkoff {
		t.Errorf("embed title = %q, want the question", str(e, "title"))
	}
	desc := str(e, "description")
	if !strings.Contains(desc, "[1]") || !strings.Contains(strings.ToLower(desc), "five") {
		t.Errorf("description lacks the cited answer: %q", desc)
	}
	fs := fields(e)
	if len(fs) == 0 || str(fs[0], "name") != "Sources" {
		t.Fatalf("no Sources field: %v", e)
	}
	src := str(fs[0], "value")
	// Every marker in the text has its source listed, with a title and quote.
	for _, s := range ix.Sources() {
		if strings.Contains(src, s.Title[:20]) {
			goto titled
		}
	}
	t.Errorf("Sources field names no article: %q", src)
titled:
	for n := 1; strings.Contains(desc, fmt.Sprintf("[%d]", n)); n++ {
		if !strings.Contains(src, fmt.Sprintf("[%d] ", n)) {
			t.Errorf("marker [%d] has no source line in %q", n, src)
		}
	}
	if !strings.Contains(src, "—") || !strings.Contains(src, "“") {
		t.Errorf("source lines are not \"[n] title — “quote”\": %q", src)
	}
	footer, _ := e["footer"].(map[string]any)
	if f := str(footer, "text"); !strings.Contains(f, "extractive") || !strings.Contains(f, " s") {
		t.Errorf("footer = %q, want mode and time", f)
	}
	ids := customIDs(edit.Body)
	if !slices.Equal(ids, []string{"fb:up:" + i.ID, "fb:down:" + i.ID}) {
		t.Errorf("buttons = %v", ids)
	}
	// What the channel shows: the stored response, edited from "thinking".
	orig := h.srv.Original(i.ID)
	if orig == nil || len(orig.Embeds) != 1 || orig.Flags&discordgo.MessageFlagsLoading != 0 {
		t.Fatalf("original response = %+v", orig)
	}
	eventually(t, "the observer", func() bool { a, _, _ := obs.snapshot(); return len(a) == 1 })
	if a, _, _ := obs.snapshot(); a[0] != "slash/answered" {
		t.Errorf("observer saw %v", a)
	}
	if st := h.bot.Stats(); st.Questions != 1 || st.Answered != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestAskPrivateAndNotFound(t *testing.T) {
	t.Parallel()
	eng, ix := engine(t)
	h := start(t, eng, ix, bot.Options{})
	i := h.ask(userA, chanA, "What is the boiling point of tungsten?", true)
	cb := h.mustWait("the deferred response", callback(i))
	if flags(payload(cb))&int(discordgo.MessageFlagsEphemeral) == 0 {
		t.Errorf("private /ask was not deferred as ephemeral: %v", cb.Body)
	}
	edit := h.mustWait("the answer", finalEdit(i))
	if c := str(edit.Body, "content"); c != answer.NotFoundText || len(embeds(edit.Body)) != 0 {
		t.Errorf("not-found answer = content %q, embeds %v; want plain and short", c, embeds(edit.Body))
	}
	if orig := h.srv.Original(i.ID); orig == nil || orig.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Errorf("private answer is not ephemeral: %+v", orig)
	}
}

func TestSourcesPagedAndSourceWithAutocomplete(t *testing.T) {
	t.Parallel()
	var extra []retrieval.Document
	for k := range 18 {
		extra = append(extra, retrieval.Document{ID: fmt.Sprintf("extra_%02d", k), Title: fmt.Sprintf("Filler article number %d", k),
			Published: time.Date(2025, 1, 1+k, 0, 0, 0, 0, time.UTC), Site: "example.org",
			Text: fmt.Sprintf("Filler article %d. It talks about weather in spring. Nothing else happens here.", k)})
	}
	ix := seedIndex(t, extra...)
	h := start(t, &answer.Engine{Index: ix}, ix, bot.Options{})

	// /sources: 23 articles, 10 per page, with page buttons.
	i := h.dispatch(discordtest.SlashCommand("sources", nil, userA, chanA))
	cb := h.mustWait("/sources", callback(i))
	p := payload(cb)
	es := embeds(p)
	if cb.Status != 204 || len(es) != 1 || flags(p)&int(discordgo.MessageFlagsEphemeral) == 0 {
		t.Fatalf("/sources response = %d %v", cb.Status, cb.Body)
	}
	page1 := str(es[0], "description")
	if n := strings.Count(page1, "\n") + 1; n != 10 || !strings.Contains(str(es[0], "title"), "23") {
		t.Errorf("page 1 has %d lines, title %q:\n%s", n, str(es[0], "title"), page1)
	}
	ids := customIDs(p)
	if !slices.Equal(ids, []string{"src:-1", "src:1"}) {
		t.Fatalf("page buttons = %v", ids)
	}
	// Next page, then the last one.
	for _, tc := range []struct {
		id    string
		lines int
		has   string
	}{{"src:1", 10, ""}, {"src:2", 3, "004_3f0c181de509a6cc"}} {
		click := h.dispatch(discordtest.ButtonClick(tc.id, userA, chanA, h.srv.Original(i.ID)))
		r := h.mustWait("page "+tc.id, callback(click))
		d := payload(r)
		if r.Body["type"] != float64(discordgo.InteractionResponseUpdateMessage) || r.Status != 204 {
			t.Fatalf("page click answered %v (%d)", r.Body, r.Status)
		}
		desc := str(embeds(d)[0], "description")
		if n := strings.Count(desc, "\n") + 1; n != tc.lines || desc == page1 || !strings.Contains(desc, tc.has) {
			t.Errorf("%s: %d lines:\n%s", tc.id, n, desc)
		}
	}

	// Autocomplete on titles and IDs.
	for _, tc := range []struct {
		typed string
		want  string
	}{
		{"florida", "004_3f0c181de509a6cc"},
		{"002", "002_5f20617c4fac4dcb"},
		{"FILLER ARTICLE NUMBER 17", "extra_17"},
	} {
		ac := h.dispatch(discordtest.Autocomplete("source", "id", tc.typed, userA, chanA))
		r := h.mustWait("autocomplete "+tc.typed, callback(ac))
		d, _ := r.Body["data"].(map[string]any)
		choices, _ := d["choices"].([]any)
		if r.Status != 204 || len(choices) == 0 {
			t.Fatalf("autocomplete %q: %d %v", tc.typed, r.Status, r.Body)
		}
		first, _ := choices[0].(map[string]any)
		if first["value"] != tc.want {
			t.Errorf("autocomplete %q: first choice %v, want %s", tc.typed, first, tc.want)
		}
	}
	ac := h.dispatch(discordtest.Autocomplete("source", "id", "", userA, chanA))
	r := h.mustWait("autocomplete (empty)", callback(ac))
	d, _ := r.Body["data"].(map[string]any)
	if choices, _ := d["choices"].([]any); len(choices) != 23 {
		t.Errorf("empty autocomplete offers %d choices, want all 23 (≤ 25)", len(choices))
	}

	// /source shows title, metadata and a snippet.
	i = h.dispatch(discordtest.SlashCommand("source", map[string]any{"id": "004_3f0c181de509a6cc"}, userA, chanA))
	r = h.mustWait("/source", callback(i))
	e := embeds(payload(r))
	if r.Status != 204 || len(e) != 1 {
		t.Fatalf("/source = %d %v", r.Status, r.Body)
	}
	doc, _ := ix.Document("004_3f0c181de509a6cc")
	if str(e[0], "title") != doc.Title {
		t.Errorf("title = %q, want %q", str(e[0], "title"), doc.Title)
	}
	snip := str(e[0], "description")
	if !strings.HasPrefix(doc.Text, strings.TrimSuffix(snip[:40], "…")) || len(snip) > 800 {
		t.Errorf("snippet = %q", snip)
	}
	var names []string
	for _, f := range fields(e[0]) {
		names = append(names, str(f, "name"))
	}
	if !slices.Contains(names, "ID") || !slices.Contains(names, "Length") {
		t.Errorf("metadata fields = %v", names)
	}
	// A dated article shows its date and site.
	i = h.dispatch(discordtest.SlashCommand("source", map[string]any{"id": "extra_03"}, userA, chanA))
	r = h.mustWait("/source extra_03", callback(i))
	var vals []string
	for _, f := range fields(embeds(payload(r))[0]) {
		vals = append(vals, str(f, "name")+"="+str(f, "value"))
	}
	if !slices.Contains(vals, "Published=4 January 2025") || !slices.Contains(vals, "Site=example.org") {
		t.Errorf("metadata = %v", vals)
	}
	// An unknown ID gets a private hint.
	i = h.dispatch(discordtest.SlashCommand("source", map[string]any{"id": "nope"}, userA, chanA))
	r = h.mustWait("/source nope", callback(i))
	if p := payload(r); flags(p)&int(discordgo.MessageFlagsEphemeral) == 0 || !strings.Contains(str(p, "content"), "/sources") {
		t.Errorf("unknown id answered %v", r.Body)
	}

	// /help explains the commands privately.
	i = h.dispatch(discordtest.SlashCommand("help", nil, userA, chanA))
	r = h.mustWait("/help", callback(i))
	if p := payload(r); flags(p)&int(discordgo.MessageFlagsEphemeral) == 0 || !strings.Contains(str(p, "content"), "/ask") {
		t.Errorf("/help answered %v", r.Body)
	}
}

func TestMentionAndDMAnswered(t *testing.T) {
	t.Parallel()
	eng, ix := engine(t)
	obs := &observed{}
	h := start(t, eng, ix, bot.Options{Observer: obs})
	me := h.srv.BotUserID()

	// Not addressed to the bot, or from a bot: ignored.
	h.message(discordtest.GuildMessage(witkoff, userA, chanB))
	fromBot := discordtest.GuildMessage("<@"+me+"> "+witkoff, userB, chanB)
	fromBot.Author.Bot = true
	h.message(fromBot)

	for _, tc := range []struct {
		name, channel string
		msg           *discordgo.Message
	}{
		{"mention", chanA, discordtest.GuildMessage("<@"+me+"> "+witkoff, userA, chanA)},
		{"dm", dmA, discordtest.DirectMessage(witkoff, userA, dmA)},
	} {
		m := h.message(tc.msg)
		h.mustWait(tc.name+" typing", func(r discordtest.Request) bool {
			return r.Method == "POST" && r.Path == "/channels/"+tc.channel+"/typing"
		})
		r := h.mustWait(tc.name+" answer", channelPost(tc.channel))
		if r.Status != 200 {
			t.Fatalf("%s: answer refused: %d %s", tc.name, r.Status, r.Raw)
		}
		es := embeds(r.Body)
		if len(es) != 1 || !strings.Contains(str(es[0], "description"), "[1]") || str(es[0], "title") != witkoff {
			t.Errorf("%s: answer = %v", tc.name, r.Body)
		}
		ref, _ := r.Body["message_reference"].(map[string]any)
		if ref["message_id"] != m.ID {
			t.Errorf("%s: answer does not reply to the question: %v", tc.name, ref)
		}
		am, _ := r.Body["allowed_mentions"].(map[string]any)
		if am["replied_user"] != false {
			t.Errorf("%s: the reply pings the asker: %v", tc.name, am)
		}
		if ids := customIDs(r.Body); len(ids) != 2 || ids[0] != "fb:up:"+m.ID {
			t.Errorf("%s: buttons = %v", tc.name, ids)
		}
	}
	// Echoes of its own answers and the ignored messages got nothing.
	time.Sleep(200 * time.Millisecond)
	for _, ch := range []string{chanA, chanB, dmA} {
		want := 1
		if ch == chanB {
			want = 0
		}
		if got := len(h.srv.Messages(ch)); got != want {
			t.Errorf("channel %s has %d bot messages, want %d", ch, got, want)
		}
	}
	a, _, _ := obs.snapshot()
	sort.Strings(a)
	if !slices.Equal(a, []string{"dm/answered", "mention/answered"}) {
		t.Errorf("observer saw %v", a)
	}
}

func TestReplyChainFollowUpUsesHistory(t *testing.T) {
	t.Parallel()
	eng, ix := engine(t)
	rec := &recorder{next: eng}
	h := start(t, rec, ix, bot.Options{UserRateLimit: 100})
	me := h.srv.BotUserID()

	// Start with /ask; the follow-ups reply to the bot's answers.
	i := h.ask(userA, chanA, witkoff, false)
	h.mustWait("first answer", finalEdit(i))
	a1 := h.srv.Original(i.ID)

	r1 := h.message(discordtest.Reply(a1, "<@"+me+"> how long was it?", userA))
	post := h.mustWait("follow-up answer", channelPost(chanA))
	if es := embeds(post.Body); len(es) == 0 || !strings.Contains(strings.ToLower(str(es[0], "description")), "five") {
		t.Errorf("follow-up answer does not use the earlier subject: %v", post.Body)
	}
	reqs := rec.requests()
	if len(reqs) != 2 {
		t.Fatalf("answerer got %d requests", len(reqs))
	}
	if h1 := reqs[1].History; len(h1) != 1 || h1[0].Question != witkoff || !strings.Contains(strings.ToLower(h1[0].Answer), "five") {
		t.Fatalf("follow-up history = %+v", h1)
	}

	// A reply to the follow-up's answer carries both turns, oldest first,
	// read up the chain through ChannelMessage.
	var a2 *discordgo.Message
	for _, m := range h.srv.Messages(chanA) {
		if m.MessageReference != nil && m.MessageReference.MessageID == r1.ID {
			a2 = m
		}
	}
	if a2 == nil {
		t.Fatal("follow-up answer not stored")
	}
	h.message(discordtest.Reply(a2, "<@"+me+"> and what did Zelensky say?", userA))
	eventually(t, "second follow-up", func() bool { return len(rec.requests()) == 3 })
	h3 := rec.requests()[2].History
	// The follow-up turn carries the subject it leaned on.
	if len(h3) != 2 || h3[0].Question != witkoff || h3[1].Question != "how long was it? (Witkoff Putin)" {
		t.Errorf("second follow-up history = %+v", h3)
	}
	fetched := false
	for _, r := range h.srv.Requests() {
		if r.Method == "GET" && r.Path == "/channels/"+chanA+"/messages/"+r1.ID {
			fetched = true
		}
	}
	if !fetched {
		t.Errorf("the chain was not read with GET channels/…/messages/{id}")
	}

	// The chain is bounded: a long conversation still gives at most a few turns.
	last := a2
	for k := range 6 {
		m := h.message(discordtest.Reply(last, fmt.Sprintf("<@%s> more about the talks %d?", me, k), userA))
		eventually(t, "answer in the long chain", func() bool {
			for _, x := range h.srv.Messages(chanA) {
				if x.MessageReference != nil && x.MessageReference.MessageID == m.ID && len(x.Components) > 0 {
					last = x
					return true
				}
			}
			return false
		})
	}
	reqs = rec.requests()
	if len(reqs) != 9 {
		t.Errorf("answerer got %d questions, want 9", len(reqs))
	}
	if n := len(reqs[len(reqs)-1].History); n < 2 || n > 3 {
		t.Errorf("deep chain gave %d turns of history, want 2–3 (5 hops)", n)
	}
}

// longAnswer is an LLM-style answer far over every Discord limit.
func longAnswer() answer.Answer {
	var sb strings.Builder
	for p := range 30 {
		for s := range 6 {
			fmt.Fprintf(&sb, "Paragraph %d sentence %d says the delegations met again and talked for hours about the plan [%d]. ", p, s, s%30+1)
		}
		sb.WriteString("\n\n")
	}
	a := answer.Answer{Text: strings.TrimSpace(sb.String()), Found: true, Mode: answer.ModeLLM, Model: "test-model"}
	for n := 1; n <= 30; n++ {
		a.Citations = append(a.Citations, answer.Citation{N: n, Doc: fmt.Sprintf("doc%d", n),
			Title: strings.Repeat(fmt.Sprintf("Very long headline %d ", n), 12),
			Quote: strings.Repeat("A long supporting sentence from the article. ", 12)})
	}
	return a
}

func TestLongAnswerSplitWithinLimits(t *testing.T) {
	t.Parallel()
	long := longAnswer()
	ix := seedIndex(t)
	for _, surface := range []string{"slash", "mention"} {
		t.Run(surface, func(t *testing.T) {
			t.Parallel()
			h := start(t, &scripted{answer: long}, ix, bot.Options{})
			var writes func() []discordtest.Request
			if surface == "slash" {
				i := h.ask(userA, chanA, "tell me everything", false)
				h.mustWait("the answer", func(r discordtest.Request) bool {
					return len(components(r.Body)) > 0 && strings.HasPrefix(r.Path, "/webhooks/")
				})
				writes = func() []discordtest.Request {
					var out []discordtest.Request
					for _, r := range h.srv.Requests() {
						if strings.Contains(r.Path, i.Token) && writesMessage(r) && r.Method != "POST" || strings.HasSuffix(r.Path, i.Token) {
							out = append(out, r)
						}
					}
					return out
				}
			} else {
				h.message(discordtest.GuildMessage("<@"+h.srv.BotUserID()+"> tell me everything", userA, chanA))
				h.mustWait("the answer", func(r discordtest.Request) bool {
					return channelPost(chanA)(r) && len(components(r.Body)) > 0
				})
				writes = func() []discordtest.Request {
					var out []discordtest.Request
					for _, r := range h.srv.Requests() {
						if channelPost(chanA)(r) {
							out = append(out, r)
						}
					}
					return out
				}
			}
			msgs := writes()
			if len(msgs) < 2 {
				t.Fatalf("a %d-character answer was sent as %d message(s)", len(long.Text), len(msgs))
			}
			var text []string
			citations := 0
			for k, r := range msgs {
				if r.Status >= 300 {
					t.Fatalf("message %d refused by Discord's limits: %d %s", k, r.Status, r.Raw)
				}
				total := 0
				es := embeds(r.Body)
				if len(es) > 10 {
					t.Errorf("message %d has %d embeds", k, len(es))
				}
				for _, e := range es {
					d := str(e, "description")
					total += utf8.RuneCountInString(d) + utf8.RuneCountInString(str(e, "title"))
					if d != "" {
						text = append(text, d)
						if !strings.HasSuffix(d, ".") && !strings.HasSuffix(d, "]") {
							t.Errorf("a piece ends mid-sentence: …%q", d[max(0, len(d)-40):])
						}
					}
					fs := fields(e)
					if len(fs) > 25 {
						t.Errorf("%d fields", len(fs))
					}
					for _, f := range fs {
						v := str(f, "value")
						total += utf8.RuneCountInString(v) + utf8.RuneCountInString(str(f, "name"))
						if utf8.RuneCountInString(v) > 1024 {
							t.Errorf("field of %d characters", utf8.RuneCountInString(v))
						}
						citations += strings.Count(v, "\n") + 1
					}
					if ft, _ := e["footer"].(map[string]any); ft != nil {
						total += utf8.RuneCountInString(str(ft, "text"))
					}
				}
				if total > 6000 {
					t.Errorf("message %d has %d embed characters", k, total)
				}
				if hasButtons := len(components(r.Body)) > 0; hasButtons != (k == len(msgs)-1) {
					t.Errorf("message %d/%d buttons=%v; want them on the last only", k+1, len(msgs), hasButtons)
				}
			}
			norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
			if norm(strings.Join(text, " ")) != norm(long.Text) {
				t.Errorf("the split answer does not add up to the answer")
			}
			if citations != 30 {
				t.Errorf("%d source lines, want 30", citations)
			}
		})
	}
}

func TestGeneratedEveryoneNeverPings(t *testing.T) {
	t.Parallel()
	evil := "@everyone @here <@" + userB + "> <@&600000000000000001> the talks ended [1]."
	ix := seedIndex(t)
	for _, tc := range []struct {
		name  string
		found bool
	}{{"embed", true}, {"plain", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := answer.Answer{Text: evil, Found: tc.found, Mode: answer.ModeLLM}
			if tc.found {
				a.Citations = []answer.Citation{{N: 1, Title: "@everyone title", Quote: "@here quote <@" + userB + ">"}}
			}
			// Stream it too, so previews are checked.
			h := start(t, &scripted{answer: a, deltas: []string{"@everyone ", "<@" + userB + "> ", "@here"}, every: 5 * time.Millisecond},
				ix, bot.Options{StreamInterval: 10 * time.Millisecond})
			i := h.ask(userA, chanA, "@everyone what happened?", false)
			h.mustWait("answer", finalEdit(i))
			h.message(discordtest.GuildMessage("<@"+h.srv.BotUserID()+"> @everyone what happened?", userA, chanA))
			h.mustWait("mention answer", func(r discordtest.Request) bool {
				return strings.HasPrefix(r.Path, "/channels/"+chanA+"/messages") && len(components(r.Body)) > 0
			})
			n := 0
			for _, r := range h.srv.Requests() {
				if !writesMessage(r) {
					continue
				}
				n++
				am, ok := payload(r)["allowed_mentions"].(map[string]any)
				parse, isList := am["parse"].([]any)
				if !ok || !isList || len(parse) != 0 || am["users"] != nil || am["roles"] != nil {
					t.Errorf("%s %s: allowed_mentions = %v, want an empty parse list", r.Method, r.Path, payload(r)["allowed_mentions"])
				}
			}
			if n < 4 {
				t.Errorf("only %d message writes checked", n)
			}
			for _, m := range h.srv.Messages(chanA) {
				if m.MentionEveryone || len(m.Mentions) > 0 || len(m.MentionRoles) > 0 {
					t.Errorf("message %q pings: everyone=%v users=%v roles=%v", m.Content, m.MentionEveryone, m.Mentions, m.MentionRoles)
				}
			}
		})
	}
}

func TestRateLimitedUserGetsEphemeralNotice(t *testing.T) {
	t.Parallel()
	eng, ix := engine(t)
	obs := &observed{}
	h := start(t, eng, ix, bot.Options{UserRateLimit: 2, RateWindow: time.Minute, Observer: obs})
	for range 2 {
		i := h.ask(userA, chanA, witkoff, false)
		h.mustWait("answer", finalEdit(i))
	}
	i := h.ask(userA, chanA, witkoff, false)
	cb := h.mustWait("the notice", callback(i))
	p := payload(cb)
	if cb.Body["type"] != float64(discordgo.InteractionResponseChannelMessageWithSource) || flags(p)&int(discordgo.MessageFlagsEphemeral) == 0 {
		t.Fatalf("over the limit: %v, want an ephemeral message", cb.Body)
	}
	var secs int
	if _, err := fmt.Sscanf(str(p, "content")[strings.Index(str(p, "content"), "try again in "):], "try again in %d s", &secs); err != nil || secs < 55 || secs > 60 {
		t.Errorf("notice = %q, want \"try again in ~60 s\"", str(p, "content"))
	}
	// Mentions by the same user are limited too (a plain reply: messages
	// cannot be ephemeral); another user is not.
	h.message(discordtest.GuildMessage("<@"+h.srv.BotUserID()+"> "+witkoff, userA, chanB))
	r := h.mustWait("mention notice", channelPost(chanB))
	if !strings.Contains(str(r.Body, "content"), "try again in") {
		t.Errorf("mention over the limit answered %v", r.Body)
	}
	// Asking again is refused without a second public notice (no spam);
	// slash commands still get their private one.
	h.message(discordtest.GuildMessage("<@"+h.srv.BotUserID()+"> "+witkoff, userA, chanB))
	again := h.ask(userA, chanA, witkoff, false)
	if p := payload(h.mustWait("second slash notice", callback(again))); !strings.Contains(str(p, "content"), "try again in") {
		t.Errorf("second slash refusal answered %v", p)
	}
	other := h.ask(userB, chanA, witkoff, false)
	h.mustWait("other user's answer", finalEdit(other))
	eventually(t, "refusals", func() bool { _, r, _ := obs.snapshot(); return len(r) == 4 })
	_, refused, _ := obs.snapshot()
	sort.Strings(refused)
	if !slices.Equal(refused, []string{"mention/rate_limited", "mention/rate_limited", "slash/rate_limited", "slash/rate_limited"}) {
		t.Errorf("observer refusals = %v", refused)
	}
	if n := len(h.srv.Messages(chanB)); n != 1 {
		t.Errorf("%d notices in the channel, want 1", n)
	}
	// A refused user is never shown the bot "typing" (Discord keeps it up
	// for 10 s whatever follows).
	for _, r := range h.srv.Requests() {
		if r.Path == "/channels/"+chanB+"/typing" {
			t.Errorf("typing shown for a refused question at %v", r.At)
		}
	}
	if st := h.bot.Stats(); st.RateLimited != 4 || st.Answered != 3 {
		t.Errorf("stats = %+v", st)
	}
}

func TestTwentySimultaneousAsksAllAnswered(t *testing.T) {
	t.Parallel()
	eng, ix := engine(t)
	h := start(t, eng, ix, bot.Options{})
	questions := []string{witkoff, "Where did the negotiators meet?", "What did Zelensky call for?", "Who is Witkoff?"}
	is := make([]*discordgo.Interaction, 20)
	sent := make([]time.Time, 20)
	var wg sync.WaitGroup
	for k := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			is[k] = discordtest.SlashCommand("ask", map[string]any{"question": questions[k%len(questions)]}, fmt.Sprintf("5100000000000000%02d", k), chanA)
			sent[k] = time.Now()
			if err := h.srv.DispatchInteraction(t.Context(), is[k]); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	var lat []time.Duration
	for k, i := range is {
		cb := h.mustWait("defer", callback(i))
		lat = append(lat, cb.At.Sub(sent[k]))
		if cb.Status != 204 {
			t.Errorf("defer %d refused: %d %s", k, cb.Status, cb.Raw)
		}
		e := h.mustWait("answer", finalEdit(i))
		if e.Status != 200 || len(embeds(e.Body)) == 0 {
			t.Errorf("answer %d: %d %v", k, e.Status, e.Body)
		}
	}
	slices.Sort(lat)
	t.Logf("20 simultaneous /ask: event → defer median %v, max %v (target < 100 ms)", lat[10].Round(time.Microsecond), lat[19].Round(time.Microsecond))
	if st := h.bot.Stats(); st.Answered != 20 || st.Busy != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestFullQueueGetsBusyNotice(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	slow := &scripted{answer: answer.Answer{Text: "ok [1]", Found: true, Mode: answer.ModeExtractive,
		Citations: []answer.Citation{{N: 1, Title: "t", Quote: "q"}}}, release: release, started: make(chan string, 10)}
	h := start(t, slow, seedIndex(t), bot.Options{MaxConcurrent: 1, MaxQueue: 1})
	first := h.ask(userA, chanA, "one", false)
	<-slow.started
	queued := h.ask(userB, chanA, "two", false)
	h.mustWait("queued defer", callback(queued))
	select {
	case q := <-slow.started:
		t.Fatalf("%q started while %q held the only slot", q, "one")
	case <-time.After(100 * time.Millisecond):
	}
	busy := h.ask("500000000000000003", chanA, "three", false)
	cb := h.mustWait("busy notice", callback(busy))
	if p := payload(cb); flags(p)&int(discordgo.MessageFlagsEphemeral) == 0 || !strings.Contains(str(p, "content"), "try again") {
		t.Errorf("full queue answered %v, want an ephemeral busy notice", cb.Body)
	}
	close(release)
	h.mustWait("first answer", finalEdit(first))
	h.mustWait("queued answer", finalEdit(queued))
	if st := h.bot.Stats(); st.Busy != 1 || st.Answered != 2 {
		t.Errorf("stats = %+v", st)
	}
}

func TestSurvivesDroppedGateway(t *testing.T) {
	t.Parallel()
	eng, ix := engine(t)
	h := start(t, eng, ix, bot.Options{})
	i := h.ask(userA, chanA, witkoff, false)
	h.mustWait("answer before the drop", finalEdit(i))
	before := h.srv.Identifies()
	h.srv.DropGateway()
	ctx := t.Context()
	if err := h.srv.WaitIdentifies(ctx, before+1); err != nil {
		t.Fatal(err)
	}
	i = h.ask(userA, chanA, witkoff, false)
	h.mustWait("answer after reconnecting", finalEdit(i))
	eventually(t, "Ready after reconnect", h.bot.Ready)
	t.Logf("reconnected with %d resume(s)", h.srv.Resumes())
}

func TestShutdownFinishesAnswerInFlight(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	slow := &scripted{answer: answer.Answer{Text: "Finished anyway [1].", Found: true, Mode: answer.ModeExtractive,
		Citations: []answer.Citation{{N: 1, Title: "t", Quote: "q"}}}, release: release, started: make(chan string, 10)}
	h := start(t, slow, seedIndex(t), bot.Options{ShutdownTimeout: 20 * time.Second})
	i := h.ask(userA, chanA, "slow one", false)
	h.mustWait("defer", callback(i))
	<-slow.started

	h.cancel() // SIGTERM
	eventually(t, "draining", func() bool { return strings.Contains(h.logs.String(), "shutting down") })
	// New work is turned away while draining…
	late := h.ask(userB, chanA, "too late", false)
	cb := h.mustWait("notice during shutdown", callback(late))
	if p := payload(cb); flags(p)&int(discordgo.MessageFlagsEphemeral) == 0 || !strings.Contains(str(p, "content"), "restarting") {
		t.Errorf("during shutdown /ask answered %v", cb.Body)
	}
	select {
	case <-h.done:
		t.Fatal("Run returned with an answer in flight")
	case <-time.After(100 * time.Millisecond):
	}
	// …and the one in flight finishes before the gateway closes.
	close(release)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	var final *discordtest.Request
	for _, r := range h.srv.Requests() {
		if finalEdit(i)(r) {
			final = &r
		}
	}
	if final == nil || final.Status != 200 || !strings.Contains(str(embeds(final.Body)[0], "description"), "Finished anyway") {
		t.Fatalf("the in-flight answer was not delivered before shutdown: %+v", final)
	}
	if h.bot.Ready() {
		t.Error("still Ready after shutdown")
	}
}

func TestShutdownDeadlineCancelsStuckAnswer(t *testing.T) {
	t.Parallel()
	stuck := &scripted{release: make(chan struct{}), started: make(chan string, 1)} // never released
	h := start(t, stuck, seedIndex(t), bot.Options{ShutdownTimeout: 300 * time.Millisecond})
	i := h.ask(userA, chanA, "stuck", false)
	<-stuck.started
	t0 := time.Now()
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 8*time.Second {
		t.Errorf("shutdown took %v with a 300 ms deadline", d)
	}
	// The asker is told privately, not left with "thinking…".
	var notice *discordtest.Request
	for _, r := range h.srv.Requests() {
		if r.Method == "POST" && r.Path == "/webhooks/"+h.srv.AppID()+"/"+i.Token {
			notice = &r
		}
	}
	if notice == nil || flags(notice.Body)&int(discordgo.MessageFlagsEphemeral) == 0 || !strings.Contains(str(notice.Body, "content"), "restarting") {
		t.Errorf("cancelled answer notice = %+v", notice)
	}
}

func TestErrorIsEphemeralWithRequestID(t *testing.T) {
	t.Parallel()
	failing := &scripted{err: fmt.Errorf("LLM exploded: upstream 500")}
	h := start(t, failing, seedIndex(t), bot.Options{})
	i := h.ask(userA, chanA, witkoff, false)
	r := h.mustWait("error follow-up", func(r discordtest.Request) bool {
		return r.Method == "POST" && r.Path == "/webhooks/"+h.srv.AppID()+"/"+i.Token
	})
	if flags(r.Body)&int(discordgo.MessageFlagsEphemeral) == 0 || !strings.Contains(str(r.Body, "content"), i.ID) ||
		strings.Contains(str(r.Body, "content"), "exploded") {
		t.Errorf("error notice = %v; want ephemeral, friendly, with the request id", r.Body)
	}
	// The public "thinking…" is removed.
	h.mustWait("deleting the deferred response", func(r discordtest.Request) bool {
		return r.Method == "DELETE" && strings.HasSuffix(r.Path, i.Token+"/messages/@original")
	})
	logs := h.logs.String()
	if !strings.Contains(logs, "request_id="+i.ID) || !strings.Contains(logs, "exploded") {
		t.Errorf("log lacks the request id and cause:\n%s", logs)
	}
	if strings.Contains(logs, i.Token) {
		t.Errorf("log contains the interaction token")
	}

	// On a message surface the notice is a reply (it cannot be private).
	m := h.message(discordtest.DirectMessage(witkoff, userA, dmA))
	r = h.mustWait("error reply", channelPost(dmA))
	if c := str(r.Body, "content"); !strings.Contains(c, m.ID) || strings.Contains(c, "exploded") {
		t.Errorf("message error reply = %q", c)
	}

	// A question too long is refused with the reason, before any work.
	long := h.ask(userA, chanA, strings.Repeat("why ", 300), false)
	cb := h.mustWait("too long", callback(long))
	if p := payload(cb); flags(p)&int(discordgo.MessageFlagsEphemeral) == 0 || !strings.Contains(str(p, "content"), "too long") {
		t.Errorf("too-long question answered %v", cb.Body)
	}
}

func TestLLMStreamingEditsThrottled(t *testing.T) {
	t.Parallel()
	var deltas []string
	for k := range 60 {
		deltas = append(deltas, fmt.Sprintf("word%d ", k))
	}
	interval := 150 * time.Millisecond
	a := answer.Answer{Text: "The final, checked answer [1].", Found: true, Mode: answer.ModeLLM, Model: "m",
		Citations: []answer.Citation{{N: 1, Title: "t", Quote: "q"}}}
	ix := seedIndex(t)
	h := start(t, &scripted{answer: a, deltas: deltas, every: 10 * time.Millisecond}, ix, bot.Options{StreamInterval: interval})
	i := h.ask(userA, chanA, "stream please", false)
	h.mustWait("final", finalEdit(i))
	var edits []time.Time
	for _, r := range h.srv.Requests() {
		if r.Method == "PATCH" && strings.HasSuffix(r.Path, i.Token+"/messages/@original") && len(components(r.Body)) == 0 {
			edits = append(edits, r.At)
			if d := str(embeds(r.Body)[0], "description"); !strings.HasPrefix(d, "word0 ") {
				t.Errorf("preview = %q", d)
			}
		}
	}
	// ~600 ms of deltas at one edit per 150 ms: a handful, not 60.
	if len(edits) < 2 || len(edits) > 7 {
		t.Errorf("%d preview edits for 60 deltas over ~600 ms at one per %v", len(edits), interval)
	}
	for k := 1; k < len(edits); k++ {
		if gap := edits[k].Sub(edits[k-1]); gap < interval*8/10 {
			t.Errorf("edits %d and %d only %v apart", k-1, k, gap)
		}
	}
	orig := h.srv.Original(i.ID)
	if orig == nil || len(orig.Embeds) != 1 || orig.Embeds[0].Description != "The final, checked answer [1]." {
		t.Errorf("the final answer did not replace the preview: %+v", orig)
	}
}

func TestFeedbackButtonsRecorded(t *testing.T) {
	t.Parallel()
	eng, ix := engine(t)
	obs := &observed{}
	h := start(t, eng, ix, bot.Options{Observer: obs})
	i := h.ask(userA, chanA, witkoff, false)
	h.mustWait("answer", finalEdit(i))
	msg := h.srv.Original(i.ID)
	for _, tc := range []struct {
		user, id, want string
	}{
		{userA, "fb:up:" + i.ID, "Thanks"},
		{userA, "fb:up:" + i.ID, "already"},
		{userB, "fb:down:" + i.ID, "Thanks"},
	} {
		c := h.dispatch(discordtest.ButtonClick(tc.id, tc.user, chanA, msg))
		r := h.mustWait("feedback ack", callback(c))
		if p := payload(r); r.Status != 204 || flags(p)&int(discordgo.MessageFlagsEphemeral) == 0 || !strings.Contains(str(p, "content"), tc.want) {
			t.Errorf("click %s by %s answered %v", tc.id, tc.user, r.Body)
		}
	}
	st := h.bot.Stats()
	if st.FeedbackUp != 1 || st.FeedbackDown != 1 {
		t.Errorf("stats = %+v, want one up and one down", st)
	}
	if _, _, votes := obs.snapshot(); !slices.Equal(votes, []string{"up", "down"}) {
		t.Errorf("observer votes = %v", votes)
	}
	if l := h.logs.String(); !strings.Contains(l, "msg=feedback") || !strings.Contains(l, "vote=up answer="+i.ID) {
		t.Errorf("feedback not logged:\n%s", h.logs.String())
	}
}

func TestAllowedChannels(t *testing.T) {
	t.Parallel()
	eng, ix := engine(t)
	h := start(t, eng, ix, bot.Options{AllowedChannels: []string{chanA}})
	me := h.srv.BotUserID()
	// Outside the list: a slash command gets a private pointer, a mention nothing.
	i := h.ask(userA, chanB, witkoff, false)
	cb := h.mustWait("notice", callback(i))
	if p := payload(cb); flags(p)&int(discordgo.MessageFlagsEphemeral) == 0 || !strings.Contains(str(p, "content"), "<#"+chanA+">") {
		t.Errorf("/ask outside the allowed channels answered %v", cb.Body)
	}
	h.message(discordtest.GuildMessage("<@"+me+"> "+witkoff, userA, chanB))
	// Inside it, and in DMs, questions are answered.
	h.message(discordtest.GuildMessage("<@"+me+"> "+witkoff, userA, chanA))
	h.mustWait("answer in the allowed channel", channelPost(chanA))
	h.message(discordtest.DirectMessage(witkoff, userA, dmA))
	h.mustWait("answer in DM", channelPost(dmA))
	dm := h.dispatch(discordtest.InDM(discordtest.SlashCommand("ask", map[string]any{"question": witkoff}, userB, "710000000000000002")))
	if e := h.mustWait("/ask in DM", finalEdit(dm)); len(embeds(e.Body)) != 1 {
		t.Errorf("/ask in DM answered %v", e.Body)
	}
	for _, r := range h.srv.Requests() {
		if strings.HasPrefix(r.Path, "/channels/"+chanB+"/") {
			t.Errorf("bot acted in a channel outside the list: %s %s", r.Method, r.Path)
		}
	}
}
