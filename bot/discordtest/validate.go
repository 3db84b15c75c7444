package discordtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Violation is one way a request breaks Discord's published schema or a
// rule Discord documents. The fake answers a request with violations with
// 400 Invalid Form Body, as Discord does, unless all of them are
// deprecations (Discord still accepts those) — and records every one.
type Violation struct {
	// Method and Path are the request's (Path without /api/vN); empty for
	// a gateway payload, where Path is "gateway IDENTIFY".
	Method, Path string
	// Rule names the rule, e.g. "schema.format", "embed.total_length".
	Rule string
	// Field is the dotted path in the body, e.g. "embeds.0.url".
	Field   string
	Message string
	// Source is "openapi" for the vendored schema, else the docs page the
	// rule comes from.
	Source string
	// Deprecated marks something Discord accepts today but documents as
	// replaced (e.g. dm_permission).
	Deprecated bool
}

func (v Violation) String() string {
	dep := ""
	if v.Deprecated {
		dep = " (deprecated)"
	}
	return fmt.Sprintf("%s %s: %s: %s: %s%s", v.Method, v.Path, v.Field, v.Rule, v.Message, dep)
}

// Docs pages the documented rules come from.
const (
	docMessage     = "https://discord.com/developers/docs/resources/message#create-message"
	docEmbedLimits = "https://discord.com/developers/docs/resources/message#embed-object-embed-limits"
	docMentions    = "https://discord.com/developers/docs/resources/message#allowed-mentions-object"
	docComponents  = "https://discord.com/developers/docs/components/reference#button"
	docActionRow   = "https://discord.com/developers/docs/components/reference#action-row"
	docCommands    = "https://discord.com/developers/docs/interactions/application-commands#application-command-object"
	docCommandCaps = "https://discord.com/developers/docs/interactions/application-commands#registering-a-command"
	docInteraction = "https://discord.com/developers/docs/interactions/receiving-and-responding#responding-to-an-interaction"
	docAutocomp    = "https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-autocomplete"
	docIdentify    = "https://discord.com/developers/docs/events/gateway-events#identify"
	docPresence    = "https://discord.com/developers/docs/events/gateway-events#update-presence"
)

// Discord's documented limits the fake enforces beyond the schema; the
// table in the package doc names the page of each.
const (
	maxContent         = 2000 // the schema allows 4000 (Nitro users); bots get 2000
	maxEmbedTitle      = 256
	maxEmbedDesc       = 4096
	maxEmbedFields     = 25
	maxFieldName       = 256
	maxFieldValue      = 1024
	maxFooterText      = 2048
	maxAuthorName      = 256
	maxEmbedTotal      = 6000
	maxActionRows      = 5
	maxRowButtons      = 5
	maxChoices         = 25
	maxChoiceName      = 100
	maxChoiceValue     = 100
	maxChatCommands    = 100
	maxUserCommands    = 15
	maxMessageCommands = 15
	maxCommandOptions  = 25
	maxCommandChars    = 8000
)

// Component, button and command type numbers used by the rules.
const (
	compActionRow   = 1
	compButton      = 2
	compStringSel   = 3
	styleLink       = 5
	stylePremium    = 6
	cmdChatInput    = 1
	cmdUser         = 2
	cmdMessage      = 3
	optSubcommand   = 1
	optSubGroup     = 2
	optString       = 3
	optInteger      = 4
	optNumber       = 10
	flagsComponents = 1 << 15 // IS_COMPONENTS_V2
)

// Message flags a bot may set: on a channel message SUPPRESS_EMBEDS,
// SUPPRESS_NOTIFICATIONS, IS_VOICE_MESSAGE and IS_COMPONENTS_V2; on an
// interaction response or follow-up also EPHEMERAL.
const (
	flagsChannelMessage = 1<<2 | 1<<12 | 1<<13 | 1<<15
	flagsInteraction    = 1<<2 | 1<<6 | 1<<12 | 1<<15
	anyFlags            = -1
)

// commandNameRe is Discord's documented CHAT_INPUT name pattern,
// ^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$, in RE2 spelling.
var commandNameRe = regexp.MustCompile(`^[-_'\p{L}\p{N}\p{Devanagari}\p{Thai}]{1,32}$`)

// Validator checks requests against the vendored spec and Discord's
// documented rules. It is immutable and safe for concurrent use.
type Validator struct {
	doc *schemaDoc
}

// NewValidator parses the vendored spec.
func NewValidator() (*Validator, error) {
	d, err := parseSchemaDoc(discordSpec)
	if err != nil {
		return nil, err
	}
	return &Validator{doc: d}, nil
}

// route finds the spec template of a request path ("" if none): the
// routes whose bodies are vendored (internal/specgen lists the same).
func route(path string) string {
	routeTemplates := [...]string{
		"/applications/{application_id}/commands",
		"/applications/{application_id}/guilds/{guild_id}/commands",
		"/channels/{channel_id}/messages",
		"/channels/{channel_id}/messages/{message_id}",
		"/interactions/{interaction_id}/{interaction_token}/callback",
		"/webhooks/{webhook_id}/{webhook_token}",
		"/webhooks/{webhook_id}/{webhook_token}/messages/@original",
		"/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
		"/users/@me/channels",
		"/channels/{channel_id}/messages/{message_id}/threads",
	}
	p := segs(path)
	for _, t := range routeTemplates {
		ts := segs(t)
		if len(ts) != len(p) {
			continue
		}
		same := true
		for i := range ts {
			if !strings.HasPrefix(ts[i], "{") && ts[i] != p[i] {
				same = false
				break
			}
		}
		// "@original" must not match {message_id}.
		if same && strings.HasSuffix(t, "{message_id}") && p[len(p)-1] == "@original" {
			same = false
		}
		if same {
			return t
		}
	}
	return ""
}

// Check returns the violations of one REST request: body is the JSON sent
// (payload_json for multipart) and files the number of attachments.
// Requests without a body schema (GET, DELETE, typing…) have none.
func (v *Validator) Check(method, path string, body []byte, files int) []Violation {
	method = strings.ToUpper(method)
	t := route(path)
	schema, found := v.doc.bodies[method+" "+t]
	if t == "" || !found {
		return nil
	}
	var out []Violation
	var val any
	if len(body) == 0 {
		val = nil
	} else if err := json.Unmarshal(body, &val); err != nil {
		return []Violation{{Method: method, Path: path, Rule: "json", Message: "body is not JSON: " + err.Error(), Source: "openapi"}}
	}
	if val != nil || t != "/channels/{channel_id}/messages" {
		v.doc.validate(schema, val, "", &out)
	}
	r := rules{out: &out}
	obj, _ := val.(map[string]any)
	switch {
	case strings.HasSuffix(t, "/commands"):
		list, _ := val.([]any)
		r.commands(list)
	case t == "/channels/{channel_id}/messages" && method == http.MethodPost:
		r.message(obj, "", flagsChannelMessage)
		r.notEmpty(obj, "", files)
	case t == "/channels/{channel_id}/messages/{message_id}", strings.HasPrefix(t, "/webhooks/{webhook_id}/{webhook_token}/messages/"):
		// An edit may resend the flags a message has; only SUPPRESS_EMBEDS
		// changes, the rest are kept, so flags are not checked here.
		r.message(obj, "", anyFlags)
	case t == "/webhooks/{webhook_id}/{webhook_token}":
		r.message(obj, "", flagsInteraction)
		r.notEmpty(obj, "", files)
	case strings.HasSuffix(t, "/callback"):
		r.callback(obj, files)
	}
	for i := range out {
		out[i].Method, out[i].Path = method, path
	}
	return out
}

// CheckIdentify returns the violations of a gateway IDENTIFY payload (the
// "d" of op 2).
func (v *Validator) CheckIdentify(d []byte) []Violation {
	var out []Violation
	add := func(field, rule, msg, src string, deprecated bool) {
		out = append(out, Violation{Path: "gateway IDENTIFY", Field: field, Rule: rule, Message: msg, Source: src, Deprecated: deprecated})
	}
	var id map[string]any
	if err := json.Unmarshal(d, &id); err != nil {
		add("", "json", "not a JSON object", docIdentify, false)
		return out
	}
	if s, _ := id["token"].(string); s == "" {
		add("token", "identify.required", "the token is required", docIdentify, false)
	}
	if _, ok := id["intents"].(float64); !ok {
		add("intents", "identify.required", "intents are required", docIdentify, false)
	}
	props, ok := id["properties"].(map[string]any)
	if !ok {
		add("properties", "identify.required", "connection properties are required", docIdentify, false)
	}
	for _, k := range []string{"os", "browser", "device"} {
		if _, has := props[k].(string); !has && ok {
			add("properties."+k, "identify.properties", "connection property "+k+" is required", docIdentify, false)
		}
		if _, old := props["$"+k]; old {
			add("properties.$"+k, "identify.properties", "the $-prefixed connection properties are replaced by os, browser and device", docIdentify, true)
		}
	}
	if p, has := id["presence"]; has && p != nil {
		pres, isObj := p.(map[string]any)
		if !isObj {
			add("presence", "presence.type", "must be an object", docPresence, false)
			return out
		}
		switch pres["status"] {
		case "online", "dnd", "idle", "invisible", "offline":
		default:
			add("presence.status", "presence.status", fmt.Sprintf("status must be online, dnd, idle, invisible or offline, not %q", pres["status"]), docPresence, false)
		}
		if _, isList := pres["activities"].([]any); !isList {
			add("presence.activities", "presence.activities", "activities (an array) is required", docPresence, false)
		}
		if _, isBool := pres["afk"].(bool); !isBool {
			add("presence.afk", "presence.afk", "afk (a boolean) is required", docPresence, false)
		}
		if _, old := pres["game"]; old {
			add("presence.game", "presence.game", "game is replaced by activities", docPresence, true)
		}
	}
	return out
}

// rules applies Discord's documented rules to a decoded body.
type rules struct {
	out *[]Violation
}

func (r rules) add(field, rule, src, format string, args ...any) {
	*r.out = append(*r.out, Violation{Field: field, Rule: rule, Message: fmt.Sprintf(format, args...), Source: src})
}

func runes(v any) int {
	s, _ := v.(string)
	return utf8.RuneCountInString(s)
}

// message applies the message rules to a create/edit body (or an
// interaction response's data) at path p.
func (r rules) message(m map[string]any, p string, allowedFlags int) {
	if m == nil {
		return
	}
	if n := runes(m["content"]); n > maxContent {
		r.add(join(p, "content"), "message.content_length", docMessage, "must be %d or fewer in length, is %d", maxContent, n)
	}
	if f, ok := m["flags"].(float64); ok && int(f)&^allowedFlags != 0 {
		r.add(join(p, "flags"), "message.flags", docMessage, "flags %d are not allowed here", int(f)&^allowedFlags)
	}
	r.embeds(asList(m["embeds"]), join(p, "embeds"))
	flags, _ := m["flags"].(float64)
	r.components(asList(m["components"]), join(p, "components"), int(flags)&flagsComponents != 0)
	if am, ok := m["allowed_mentions"].(map[string]any); ok {
		r.allowedMentions(am, join(p, "allowed_mentions"))
	}
}

// notEmpty refuses a new message with nothing to show.
func (r rules) notEmpty(m map[string]any, p string, files int) {
	content, _ := m["content"].(string)
	if strings.TrimSpace(content) == "" && len(asList(m["embeds"])) == 0 && len(asList(m["components"])) == 0 &&
		files == 0 && len(asList(m["sticker_ids"])) == 0 && m["poll"] == nil {
		r.add(join(p, "content"), "message.empty", docMessage, "cannot send an empty message: content, embeds, components, files, stickers or a poll is required")
	}
}

func (r rules) embeds(list []any, p string) {
	total := 0
	for i, x := range list {
		e, _ := x.(map[string]any)
		ep := join(p, strconv.Itoa(i))
		count := func(field string, v any, limit int) {
			n := runes(v)
			total += n
			if n > limit {
				r.add(join(ep, field), "embed.length", docEmbedLimits, "must be %d or fewer in length, is %d", limit, n)
			}
		}
		count("title", e["title"], maxEmbedTitle)
		count("description", e["description"], maxEmbedDesc)
		if f, ok := e["footer"].(map[string]any); ok {
			count("footer.text", f["text"], maxFooterText)
			r.mediaURL(f["icon_url"], join(ep, "footer.icon_url"))
		}
		if a, ok := e["author"].(map[string]any); ok {
			count("author.name", a["name"], maxAuthorName)
			r.mediaURL(a["icon_url"], join(ep, "author.icon_url"))
		}
		for _, k := range []string{"image", "thumbnail"} {
			if m, ok := e[k].(map[string]any); ok {
				if u, _ := m["url"].(string); u == "" {
					r.add(join(ep, k+".url"), "embed.media_url", docEmbedLimits, "an embed %s needs a url", k)
				}
				r.mediaURL(m["url"], join(ep, k+".url"))
			}
		}
		fields := asList(e["fields"])
		if len(fields) > maxEmbedFields {
			r.add(join(ep, "fields"), "embed.fields", docEmbedLimits, "at most %d fields, has %d", maxEmbedFields, len(fields))
		}
		for j, y := range fields {
			f, _ := y.(map[string]any)
			fp := join(ep, "fields."+strconv.Itoa(j))
			for _, k := range []string{"name", "value"} {
				if s, _ := f[k].(string); strings.TrimSpace(s) == "" {
					r.add(join(fp, k), "embed.field_required", docEmbedLimits, "a field's %s must not be empty", k)
				}
			}
			count("fields."+strconv.Itoa(j)+".name", f["name"], maxFieldName)
			count("fields."+strconv.Itoa(j)+".value", f["value"], maxFieldValue)
		}
	}
	if total > maxEmbedTotal {
		r.add(p, "embed.total_length", docEmbedLimits, "the embeds of a message may have %d characters in all, these have %d", maxEmbedTotal, total)
	}
}

// mediaURL: images, thumbnails and icons support only http(s) and
// attachment:// URLs.
func (r rules) mediaURL(v any, p string) {
	u, _ := v.(string)
	if u == "" {
		return
	}
	scheme, _, _ := strings.Cut(u, ":")
	switch strings.ToLower(scheme) {
	case "http", "https", "attachment":
	default:
		r.add(p, "embed.media_scheme", docEmbedLimits, "only http(s) and attachment:// URLs are supported")
	}
}

func (r rules) components(rows []any, p string, v2 bool) {
	if v2 {
		return // Components V2 layouts: the schema's limits apply
	}
	if len(rows) > maxActionRows {
		r.add(p, "components.rows", docActionRow, "at most %d action rows, has %d", maxActionRows, len(rows))
	}
	ids := map[string]string{}
	for i, x := range rows {
		row, _ := x.(map[string]any)
		rp := join(p, strconv.Itoa(i))
		if t, _ := row["type"].(float64); t != compActionRow {
			r.add(join(rp, "type"), "components.top_level", docActionRow, "top-level components must be action rows unless the message sets IS_COMPONENTS_V2")
			continue
		}
		comps := asList(row["components"])
		buttons, selects := 0, 0
		for j, y := range comps {
			c, _ := y.(map[string]any)
			cp := join(rp, "components."+strconv.Itoa(j))
			t, _ := c["type"].(float64)
			if t == compButton {
				buttons++
				r.button(c, cp)
			} else {
				selects++
			}
			if id, _ := c["custom_id"].(string); id != "" {
				if prev, dup := ids[id]; dup {
					r.add(join(cp, "custom_id"), "components.custom_id_unique", docComponents, "custom_id %q is already used by %s", id, prev)
				} else {
					ids[id] = cp
				}
			}
		}
		if buttons > maxRowButtons {
			r.add(join(rp, "components"), "components.row_width", docActionRow, "an action row holds at most %d buttons", maxRowButtons)
		}
		if selects > 0 && len(comps) > 1 {
			r.add(join(rp, "components"), "components.row_width", docActionRow, "an action row with a select menu holds nothing else")
		}
	}
}

func (r rules) button(c map[string]any, p string) {
	style, _ := c["style"].(float64)
	url, _ := c["url"].(string)
	cid, _ := c["custom_id"].(string)
	label, _ := c["label"].(string)
	sku, _ := c["sku_id"].(string)
	switch style {
	case styleLink:
		if url == "" {
			r.add(join(p, "url"), "button.link_url", docComponents, "a link button needs a url")
		}
		if cid != "" {
			r.add(join(p, "custom_id"), "button.link_custom_id", docComponents, "a link button cannot have a custom_id")
		}
	case stylePremium:
		if sku == "" {
			r.add(join(p, "sku_id"), "button.premium_sku", docComponents, "a premium button needs a sku_id")
		}
		if cid != "" || url != "" || label != "" || c["emoji"] != nil {
			r.add(p, "button.premium_fields", docComponents, "a premium button cannot have custom_id, url, label or emoji")
		}
	default:
		if cid == "" {
			r.add(join(p, "custom_id"), "button.custom_id", docComponents, "a non-link button needs a custom_id")
		}
		if url != "" {
			r.add(join(p, "url"), "button.url", docComponents, "only link buttons can have a url")
		}
	}
	if style != stylePremium && label == "" && c["emoji"] == nil {
		r.add(join(p, "label"), "button.label_or_emoji", docComponents, "a button needs a label or an emoji")
	}
}

func (r rules) allowedMentions(am map[string]any, p string) {
	parse := map[string]bool{}
	for _, x := range asList(am["parse"]) {
		if s, ok := x.(string); ok {
			parse[s] = true
		}
	}
	for _, k := range []string{"users", "roles"} {
		if parse[k] && len(asList(am[k])) > 0 {
			r.add(join(p, k), "allowed_mentions.exclusive", docMentions, "parse:[%q] and a %s list are mutually exclusive", k, k)
		}
	}
}

// callback applies the rules of an interaction response by its type.
func (r rules) callback(b map[string]any, files int) {
	t, _ := b["type"].(float64)
	data, _ := b["data"].(map[string]any)
	switch int(t) {
	case 4:
		r.message(data, "data", flagsInteraction)
		r.notEmpty(data, "data", files)
	case 5:
		if f, ok := data["flags"].(float64); ok && int(f)&^flagsInteraction != 0 {
			r.add("data.flags", "message.flags", docInteraction, "flags %d are not allowed here", int(f)&^flagsInteraction)
		}
	case 7:
		r.message(data, "data", flagsInteraction)
	case 8:
		choices := asList(data["choices"])
		if len(choices) > maxChoices {
			r.add("data.choices", "autocomplete.choices", docAutocomp, "at most %d choices, has %d", maxChoices, len(choices))
		}
		for i, x := range choices {
			c, _ := x.(map[string]any)
			cp := "data.choices." + strconv.Itoa(i)
			if n := runes(c["name"]); n < 1 || n > maxChoiceName {
				r.add(cp+".name", "autocomplete.choice_name", docAutocomp, "a choice name has 1 to %d characters, has %d", maxChoiceName, n)
			}
			if s, ok := c["value"].(string); ok && utf8.RuneCountInString(s) > maxChoiceValue {
				r.add(cp+".value", "autocomplete.choice_value", docAutocomp, "a string choice value has at most %d characters", maxChoiceValue)
			}
		}
	}
}

// commands applies the application command rules to a bulk overwrite.
func (r rules) commands(list []any) {
	perType := map[int]int{}
	seen := map[string]bool{}
	for i, x := range list {
		c, _ := x.(map[string]any)
		if c == nil {
			continue
		}
		p := strconv.Itoa(i)
		t := cmdChatInput
		if f, ok := c["type"].(float64); ok {
			t = int(f)
		}
		perType[t]++
		name, _ := c["name"].(string)
		key := strconv.Itoa(t) + "/" + name
		if seen[key] {
			r.add(join(p, "name"), "command.name_unique", docCommands, "another command of this type is named %q", name)
		}
		seen[key] = true
		desc, hasDesc := c["description"].(string)
		switch t {
		case cmdChatInput:
			r.commandName(name, join(p, "name"))
			if n := utf8.RuneCountInString(desc); n < 1 || n > 100 {
				r.add(join(p, "description"), "command.description", docCommands, "a slash command needs a description of 1 to 100 characters")
			}
			r.options(asList(c["options"]), join(p, "options"), 0)
		case cmdUser, cmdMessage:
			if hasDesc && desc != "" {
				r.add(join(p, "description"), "command.description", docCommands, "user and message commands must have an empty description")
			}
			if len(asList(c["options"])) > 0 {
				r.add(join(p, "options"), "command.options", docCommands, "only slash commands have options")
			}
		}
		if _, old := c["dm_permission"]; old {
			*r.out = append(*r.out, Violation{Field: join(p, "dm_permission"), Rule: "command.dm_permission", Source: docCommands, Deprecated: true,
				Message: "dm_permission is replaced by contexts (and integration_types)"})
		}
		if n := commandChars(c); n > maxCommandChars {
			r.add(p, "command.total_length", docCommands, "name, descriptions, option names and choices may have %d characters in all, have %d", maxCommandChars, n)
		}
	}
	caps := []struct {
		t     int
		max   int
		label string
	}{{cmdChatInput, maxChatCommands, "slash (CHAT_INPUT)"}, {cmdUser, maxUserCommands, "USER"}, {cmdMessage, maxMessageCommands, "MESSAGE"}}
	for _, c := range caps {
		if perType[c.t] > c.max {
			r.add("_root", "command.count", docCommandCaps, "at most %d %s commands, got %d", c.max, c.label, perType[c.t])
		}
	}
}

// commandName applies the CHAT_INPUT name pattern; letters must be
// lowercase where they have a lowercase form.
func (r rules) commandName(name, p string) {
	if !commandNameRe.MatchString(name) {
		r.add(p, "command.name", docCommands, "%q does not match ^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$", name)
		return
	}
	for _, c := range name {
		if unicode.ToLower(c) != c {
			r.add(p, "command.name_lowercase", docCommands, "%q has an uppercase letter; slash command names must be lowercase", name)
			return
		}
	}
}

func (r rules) options(opts []any, p string, depth int) {
	if len(opts) > maxCommandOptions {
		r.add(p, "command.options", docCommands, "at most %d options, has %d", maxCommandOptions, len(opts))
	}
	optional := false
	names := map[string]bool{}
	for i, x := range opts {
		o, _ := x.(map[string]any)
		if o == nil {
			continue
		}
		op := join(p, strconv.Itoa(i))
		name, _ := o["name"].(string)
		r.commandName(name, join(op, "name"))
		if names[name] {
			r.add(join(op, "name"), "command.option_unique", docCommands, "another option here is named %q", name)
		}
		names[name] = true
		t, _ := o["type"].(float64)
		req, _ := o["required"].(bool)
		if req && optional {
			r.add(join(op, "required"), "command.option_order", docCommands, "required options must come before optional ones")
		}
		if !req {
			optional = true
		}
		ac, _ := o["autocomplete"].(bool)
		if ac && len(asList(o["choices"])) > 0 {
			r.add(join(op, "autocomplete"), "command.autocomplete_choices", docCommands, "autocomplete cannot be used with choices")
		}
		if ac && t != optString && t != optInteger && t != optNumber {
			r.add(join(op, "autocomplete"), "command.autocomplete_type", docCommands, "only string, integer and number options autocomplete")
		}
		if (t == optSubcommand || t == optSubGroup) && depth < 2 {
			r.options(asList(o["options"]), join(op, "options"), depth+1)
		}
	}
}

// commandChars counts what the 8000-character command limit counts.
func commandChars(c map[string]any) int {
	n := runes(c["name"]) + runes(c["description"])
	for _, x := range asList(c["options"]) {
		o, _ := x.(map[string]any)
		n += commandChars(o)
		for _, y := range asList(o["choices"]) {
			ch, _ := y.(map[string]any)
			n += runes(ch["name"])
			if s, ok := ch["value"].(string); ok {
				n += utf8.RuneCountInString(s)
			} else if v, ok := ch["value"]; ok {
				n += len(fmt.Sprint(v))
			}
		}
	}
	return n
}

// formErrors collects Discord-style nested field errors.
type formErrors map[string]any

func (e formErrors) add(path, code, msg string) {
	node := map[string]any(e)
	if path == "" {
		path = "_root"
	}
	for _, part := range strings.Split(path, ".") {
		next, _ := node[part].(map[string]any)
		if next == nil {
			next = map[string]any{}
			node[part] = next
		}
		node = next
	}
	list, _ := node["_errors"].([]any)
	node["_errors"] = append(list, map[string]any{"code": code, "message": msg})
}

// rejection is Discord's answer to violations: 400 Invalid Form Body
// (50035) listing them, 50006 for an empty message alone; ok is false when
// there are none or all are deprecations.
func rejection(vs []Violation) (reply, bool) {
	e := formErrors{}
	empty := false
	for _, v := range vs {
		if v.Deprecated {
			continue
		}
		if v.Rule == "message.empty" {
			empty = true
			continue
		}
		e.add(v.Field, strings.ToUpper(strings.ReplaceAll(v.Rule, ".", "_")), v.Message)
	}
	if len(e) > 0 {
		return reply{status: http.StatusBadRequest, body: apiError{Message: "Invalid Form Body", Code: 50035, Errors: e}}, true
	}
	if empty {
		return errEmptyMessage(), true
	}
	return reply{}, false
}

func invalidForm(path, code, msg string) reply {
	e := formErrors{}
	e.add(path, code, msg)
	return reply{status: http.StatusBadRequest, body: apiError{Message: "Invalid Form Body", Code: 50035, Errors: e}}
}
