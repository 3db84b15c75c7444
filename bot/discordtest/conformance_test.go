package discordtest_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/talkbot/talkbot/bot/discordtest"
)

// obj is a JSON object literal.
type obj = map[string]any

type list = []any

func chat(name string) obj {
	return obj{"name": name, "description": "does a thing", "type": 1}
}

func cmds(n int, typ int, prefix string) list {
	out := list{}
	for i := range n {
		c := obj{"name": fmt.Sprintf("%s%d", prefix, i), "type": typ}
		if typ == 1 {
			c["description"] = "does a thing"
		}
		out = append(out, c)
	}
	return out
}

func row(comps ...any) obj { return obj{"type": 1, "components": append(list{}, comps...)} }

func button(id string) obj {
	return obj{"type": 2, "style": 2, "label": "Go", "custom_id": id}
}

func embed(fields obj) obj {
	e := obj{"description": "text"}
	for k, v := range fields {
		e[k] = v
	}
	return obj{"embeds": list{e}}
}

func rep(n int) string { return strings.Repeat("a", n) }

// TestConformance holds payloads with what Discord's docs and published
// spec say Discord answers; the fake's validator must agree on every one.
func TestConformance(t *testing.T) {
	t.Parallel()
	const (
		commands = "/applications/9/commands"
		post     = "/channels/7/messages"
		callback = "/interactions/5/tok/callback"
		followup = "/webhooks/9/tok"
		original = "/webhooks/9/tok/messages/@original"
	)
	many := func(parts ...list) list {
		var out list
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	choices := func(n int) list {
		out := list{}
		for i := range n {
			out = append(out, obj{"name": fmt.Sprint("c", i), "value": fmt.Sprint(i)})
		}
		return out
	}
	cases := []struct {
		name     string
		method   string
		path     string
		body     any
		accepted bool
		rule     string // a rule the fake must name when it refuses
	}{
		// Application commands (docs: application-commands#application-command-object, #registering-a-command).
		{"slash command", "PUT", commands, list{chat("ask")}, true, ""},
		{"uppercase slash name", "PUT", commands, list{chat("Ask")}, false, "command.name_lowercase"},
		{"accented lowercase name", "PUT", commands, list{chat("café")}, true, ""},
		{"apostrophe in name", "PUT", commands, list{chat("don't")}, true, ""},
		{"Devanagari name with vowel signs", "PUT", commands, list{chat("नमस्ते")}, true, ""},
		{"Thai name", "PUT", commands, list{chat("สวัสดี")}, true, ""},
		{"uncased CJK name", "PUT", commands, list{chat("質問")}, true, ""},
		{"space in slash name", "PUT", commands, list{chat("ask me")}, false, "command.name"},
		{"33-character name", "PUT", commands, list{chat(rep(33))}, false, "schema.maxLength"},
		{"user command with capitals and space", "PUT", commands, list{obj{"name": "Show Profile", "type": 2}}, true, ""},
		{"message command with a description", "PUT", commands, list{obj{"name": "Quote", "type": 3, "description": "x"}}, false, "command.description"},
		{"slash command without description", "PUT", commands, list{obj{"name": "ask"}}, false, "command.description"},
		{"101-character description", "PUT", commands, list{obj{"name": "ask", "description": rep(101)}}, false, "schema.maxLength"},
		{"100 slash + 15 user + 15 message", "PUT", commands, many(cmds(100, 1, "s"), cmds(15, 2, "U"), cmds(15, 3, "M")), true, ""},
		{"101 slash commands", "PUT", commands, cmds(101, 1, "s"), false, "command.count"},
		{"16 user commands", "PUT", commands, cmds(16, 2, "U"), false, "command.count"},
		{"same name, different types", "PUT", commands, list{chat("ask"), obj{"name": "ask", "type": 3}}, true, ""},
		{"same name twice", "PUT", commands, list{chat("ask"), chat("ask")}, false, "command.name_unique"},
		{"required option after optional", "PUT", commands, list{obj{"name": "ask", "description": "d", "options": list{
			obj{"type": 5, "name": "private", "description": "d"},
			obj{"type": 3, "name": "question", "description": "d", "required": true}}}}, false, "command.option_order"},
		{"autocomplete with choices", "PUT", commands, list{obj{"name": "ask", "description": "d", "options": list{
			obj{"type": 3, "name": "q", "description": "d", "autocomplete": true, "choices": list{obj{"name": "a", "value": "a"}}}}}}, false, "command.autocomplete_choices"},
		{"option without description", "PUT", commands, list{obj{"name": "ask", "description": "d", "options": list{
			obj{"type": 3, "name": "q", "description": ""}}}}, false, "schema.minLength"},
		{"contexts and integration types", "PUT", commands, list{obj{"name": "ask", "description": "d", "contexts": list{0, 1, 2}, "integration_types": list{0, 1}}}, true, ""},
		{"unknown context 3", "PUT", commands, list{obj{"name": "ask", "description": "d", "contexts": list{3}}}, false, "schema.enum"},
		{"dm_permission still accepted", "PUT", commands, list{obj{"name": "ask", "description": "d", "dm_permission": true}}, true, ""},

		// Messages (docs: message#create-message, #embed-object-embed-limits, #allowed-mentions-object).
		{"plain content", "POST", post, obj{"content": "hi"}, true, ""},
		{"2001 characters of content", "POST", post, obj{"content": rep(2001)}, false, "message.content_length"},
		{"empty message", "POST", post, obj{}, false, "message.empty"},
		{"embed url with spaces", "POST", post, embed(obj{"url": "https://example.com/grain report 10"}), false, "schema.format"},
		{"embed url percent-encoded", "POST", post, embed(obj{"url": "https://example.com/grain%20report%2010"}), true, ""},
		{"embed url with non-ASCII", "POST", post, embed(obj{"url": "https://bücher.example/straße"}), false, "schema.format"},
		{"embed url IDNA and percent-encoded", "POST", post, embed(obj{"url": "https://xn--bcher-kva.example/stra%C3%9Fe"}), true, ""},
		{"embed url without scheme", "POST", post, embed(obj{"url": "example.com/a"}), false, "schema.format"},
		{"embed url with a bad escape", "POST", post, embed(obj{"url": "https://example.com/100%"}), false, "schema.format"},
		{"embed title 257", "POST", post, embed(obj{"title": rep(257)}), false, "schema.maxLength"},
		{"embed description 4096", "POST", post, embed(obj{"description": rep(4096)}), true, ""},
		{"embed description 4097", "POST", post, embed(obj{"description": rep(4097)}), false, "schema.maxLength"},
		{"26 embed fields", "POST", post, embed(obj{"fields": func() list {
			out := list{}
			for range 26 {
				out = append(out, obj{"name": "n", "value": "v"})
			}
			return out
		}()}), false, "schema.maxItems"},
		{"field value 1025", "POST", post, embed(obj{"fields": list{obj{"name": "n", "value": rep(1025)}}}), false, "schema.maxLength"},
		{"empty field value", "POST", post, embed(obj{"fields": list{obj{"name": "n", "value": ""}}}), false, "embed.field_required"},
		{"footer 2049", "POST", post, embed(obj{"footer": obj{"text": rep(2049)}}), false, "schema.maxLength"},
		{"author name 257", "POST", post, embed(obj{"author": obj{"name": rep(257)}}), false, "schema.maxLength"},
		{"two embeds of 3500", "POST", post, obj{"embeds": list{obj{"description": rep(3500)}, obj{"description": rep(3500)}}}, false, "embed.total_length"},
		{"11 embeds", "POST", post, obj{"embeds": func() list {
			out := list{}
			for range 11 {
				out = append(out, obj{"description": "x"})
			}
			return out
		}()}, false, "schema.maxItems"},
		{"color above 0xFFFFFF", "POST", post, embed(obj{"color": 16777216}), false, "schema.maximum"},
		{"ftp thumbnail", "POST", post, embed(obj{"thumbnail": obj{"url": "ftp://example.com/a.png"}}), false, "embed.media_scheme"},
		{"two buttons, distinct ids", "POST", post, obj{"content": "x", "components": list{row(button("a"), button("b"))}}, true, ""},
		{"duplicate custom_id", "POST", post, obj{"content": "x", "components": list{row(button("a")), row(button("a"))}}, false, "components.custom_id_unique"},
		{"link button", "POST", post, obj{"content": "x", "components": list{row(obj{"type": 2, "style": 5, "label": "Open", "url": "https://example.com/"})}}, true, ""},
		{"link button with custom_id", "POST", post, obj{"content": "x", "components": list{row(obj{"type": 2, "style": 5, "label": "Open", "url": "https://example.com/", "custom_id": "a"})}}, false, "button.link_custom_id"},
		{"link button without url", "POST", post, obj{"content": "x", "components": list{row(obj{"type": 2, "style": 5, "label": "Open"})}}, false, "button.link_url"},
		{"secondary button without custom_id", "POST", post, obj{"content": "x", "components": list{row(obj{"type": 2, "style": 2, "label": "Go"})}}, false, "button.custom_id"},
		{"six buttons in a row", "POST", post, obj{"content": "x", "components": list{row(button("1"), button("2"), button("3"), button("4"), button("5"), button("6"))}}, false, "schema.maxItems"},
		{"six action rows", "POST", post, obj{"content": "x", "components": list{row(button("1")), row(button("2")), row(button("3")), row(button("4")), row(button("5")), row(button("6"))}}, false, "components.rows"},
		{"button outside an action row", "POST", post, obj{"content": "x", "components": list{button("a")}}, false, "components.top_level"},
		{"empty action row", "POST", post, obj{"content": "x", "components": list{row()}}, false, "schema.minItems"},
		{"parse users with a users list", "POST", post, obj{"content": "<@1>", "allowed_mentions": obj{"parse": list{"users"}, "users": list{"1"}}}, false, "allowed_mentions.exclusive"},
		{"parse roles with a roles list", "POST", post, obj{"content": "x", "allowed_mentions": obj{"parse": list{"roles"}, "roles": list{"2"}}}, false, "allowed_mentions.exclusive"},
		{"empty parse with a users list", "POST", post, obj{"content": "<@1>", "allowed_mentions": obj{"parse": list{}, "users": list{"1"}}}, true, ""},
		{"parse an unknown type", "POST", post, obj{"content": "x", "allowed_mentions": obj{"parse": list{"channels"}}}, false, "schema.enum"},
		{"reply without message_id", "POST", post, obj{"content": "x", "message_reference": obj{"channel_id": "7"}}, false, "schema.required"},
		{"reply to a message", "POST", post, obj{"content": "x", "message_reference": obj{"message_id": "8", "fail_if_not_exists": false}}, true, ""},

		// Interaction responses (docs: receiving-and-responding).
		{"message response", "POST", callback, obj{"type": 4, "data": obj{"content": "hi", "flags": 64}}, true, ""},
		{"empty message response", "POST", callback, obj{"type": 4, "data": obj{}}, false, "message.empty"},
		{"deferred ephemeral response", "POST", callback, obj{"type": 5, "data": obj{"flags": 64}}, true, ""},
		{"unknown response type 3", "POST", callback, obj{"type": 3}, false, "schema.enum"},
		{"26 autocomplete choices", "POST", callback, obj{"type": 8, "data": obj{"choices": choices(26)}}, false, "autocomplete.choices"},
		{"25 autocomplete choices", "POST", callback, obj{"type": 8, "data": obj{"choices": choices(25)}}, true, ""},
		{"empty choice name", "POST", callback, obj{"type": 8, "data": obj{"choices": list{obj{"name": "", "value": "a"}}}}, false, "autocomplete.choice_name"},
		{"101-character choice value", "POST", callback, obj{"type": 8, "data": obj{"choices": list{obj{"name": "a", "value": rep(101)}}}}, false, "autocomplete.choice_value"},
		{"update message with a bad embed url", "POST", callback, obj{"type": 7, "data": embed(obj{"url": "https://a.example/x y"})}, false, "schema.format"},

		// Follow-ups and edits (docs: receiving-and-responding#followup-messages).
		{"ephemeral follow-up", "POST", followup, obj{"content": "sorry", "flags": 64}, true, ""},
		{"empty follow-up", "POST", followup, obj{"flags": 64}, false, "message.empty"},
		{"edit original clearing embeds", "PATCH", original, obj{"content": "done", "embeds": list{}, "components": list{}}, true, ""},
		{"edit original with 2001 characters", "PATCH", original, obj{"content": rep(2001)}, false, "message.content_length"},
	}
	v, err := discordtest.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	agree := 0
	for _, c := range cases {
		body, err := json.Marshal(c.body)
		if err != nil {
			t.Fatal(err)
		}
		vs := v.Check(c.method, c.path, body, 0)
		accepted := true
		var rules []string
		for _, x := range vs {
			if !x.Deprecated {
				accepted = false
			}
			rules = append(rules, x.Rule)
		}
		ok := accepted == c.accepted
		if ok && !c.accepted && !strings.Contains(strings.Join(rules, " "), c.rule) {
			ok = false
		}
		if ok {
			agree++
			continue
		}
		t.Errorf("%s: Discord accepts=%v, the fake accepts=%v (want rule %q); violations:\n%v", c.name, c.accepted, accepted, c.rule, vs)
	}
	t.Logf("the fake agrees with Discord on %d of %d payloads", agree, len(cases))
}

// TestDeprecationsRecordedNotRejected: Discord still accepts dm_permission
// and discordgo's IDENTIFY, but documents their replacements.
func TestDeprecationsRecordedNotRejected(t *testing.T) {
	t.Parallel()
	v, err := discordtest.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	vs := v.Check("PUT", "/applications/9/commands", []byte(`[{"name":"ask","description":"d","dm_permission":true}]`), 0)
	if len(vs) != 1 || !vs[0].Deprecated || vs[0].Rule != "command.dm_permission" {
		t.Errorf("dm_permission: got %v, want one deprecation", vs)
	}
	cases := []struct {
		name  string
		d     string
		rules []string
	}{
		{"discordgo defaults", `{"token":"Bot x","properties":{"$os":"linux","$browser":"DiscordGo v0.29.0","$device":"","$referer":"","$referring_domain":""},
			"compress":true,"large_threshold":250,"presence":{"since":0,"game":{"name":"","type":0,"created_at":"0001-01-01T00:00:00Z"},"status":"","afk":false},"intents":37377}`,
			[]string{"identify.properties", "presence.status", "presence.activities", "presence.game"}},
		{"current docs", `{"token":"Bot x","properties":{"os":"linux","browser":"talkbot","device":"talkbot"},
			"presence":{"since":null,"activities":[],"status":"online","afk":false},"intents":37377}`, nil},
		{"no presence", `{"token":"Bot x","properties":{"os":"linux","browser":"talkbot","device":"talkbot"},"intents":1}`, nil},
	}
	for _, c := range cases {
		got := map[string]bool{}
		for _, x := range v.CheckIdentify([]byte(c.d)) {
			got[x.Rule] = true
		}
		for _, r := range c.rules {
			if !got[r] {
				t.Errorf("%s: no %s violation; got %v", c.name, r, got)
			}
			delete(got, r)
		}
		if len(got) > 0 {
			t.Errorf("%s: unexpected violations %v", c.name, got)
		}
	}
}

// TestInteractionRulesRecorded: the fake answers interaction misuse as
// Discord does and records each as a violation a test can assert on.
func TestInteractionRulesRecorded(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, discordtest.Options{InteractionTimeout: 150 * time.Millisecond})
	dg := open(t, srv, nil)
	deferred := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}
	dispatch := func() *discordgo.Interaction {
		i := discordtest.SlashCommand("ask", map[string]any{"question": "q"}, "8", "c9")
		if err := srv.DispatchInteraction(ctx5(t), i); err != nil {
			t.Fatal(err)
		}
		return i
	}
	late, twice, early := dispatch(), dispatch(), dispatch()

	_, err := dg.FollowupMessageCreate(early, true, &discordgo.WebhookParams{Content: "too early"})
	if restCode(err) != 10015 {
		t.Errorf("follow-up before any response: %v, want Unknown Webhook", err)
	}
	if err := dg.InteractionRespond(twice, deferred); err != nil {
		t.Fatal(err)
	}
	if err := dg.InteractionRespond(twice, deferred); restCode(err) != 40060 {
		t.Errorf("second response: %v, want 40060", err)
	}
	time.Sleep(200 * time.Millisecond)
	if err := dg.InteractionRespond(late, deferred); restCode(err) != 10062 {
		t.Errorf("late response: %v, want 10062", err)
	}
	// A valid request is not a violation; a refused one is, with its rule.
	if _, err := dg.ChannelMessageSendEmbed("c9", &discordgo.MessageEmbed{Title: "t", URL: "https://example.com/a b"}); restCode(err) != 50035 {
		t.Errorf("embed url with a space: %v, want 50035 Invalid Form Body", err)
	}
	got := map[string]bool{}
	for _, v := range srv.Violations() {
		if v.Path != "gateway IDENTIFY" { // this raw discordgo session identifies the old way
			got[v.Rule] = true
		}
	}
	for _, rule := range []string{"interaction.not_acknowledged", "interaction.already_acknowledged", "interaction.timeout", "schema.format"} {
		if !got[rule] {
			t.Errorf("no %s violation recorded; got %v", rule, got)
		}
		delete(got, rule)
	}
	if len(got) > 0 {
		t.Errorf("unexpected violations: %v", got)
	}
}
