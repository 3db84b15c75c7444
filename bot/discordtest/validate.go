package discordtest

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// Discord's documented limits, enforced so a bot that breaks them fails in
// tests as it would in production.
const (
	maxContent        = 2000
	maxEmbeds         = 10
	maxEmbedTitle     = 256
	maxEmbedDesc      = 4096
	maxEmbedFields    = 25
	maxFieldName      = 256
	maxFieldValue     = 1024
	maxFooterText     = 2048
	maxAuthorName     = 256
	maxEmbedTotal     = 6000
	maxActionRows     = 5
	maxRowComponents  = 5
	maxCustomID       = 100
	maxButtonLabel    = 80
	maxChoices        = 25
	maxChoiceName     = 100
	maxChoiceValue    = 100
	maxCommands       = 100
	maxCommandOptions = 25
	maxDescription    = 100
)

var commandNameRe = regexp.MustCompile(`^[-_\p{Ll}\p{N}]{1,32}$`)

// formErrors collects Discord-style nested field errors.
type formErrors map[string]any

func (e formErrors) add(path, code, msg string) {
	node := map[string]any(e)
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

func (e formErrors) reply() (reply, bool) {
	if len(e) == 0 {
		return reply{}, false
	}
	return reply{status: http.StatusBadRequest, body: apiError{Message: "Invalid Form Body", Code: 50035, Errors: e}}, true
}

func invalidForm(path, code, msg string) reply {
	e := formErrors{}
	e.add(path, code, msg)
	r, _ := e.reply()
	return r
}

func maxLen(e formErrors, path string, v any, limit int) int {
	s, _ := v.(string)
	n := utf8.RuneCountInString(s)
	if n > limit {
		e.add(path, "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", limit))
	}
	return n
}

// validateMessage checks a message create/edit body against Discord's limits.
// create also refuses an empty message.
func validateMessage(body map[string]any, files int, create bool) (reply, bool) {
	e := formErrors{}
	maxLen(e, "content", body["content"], maxContent)
	embeds, _ := body["embeds"].([]any)
	if len(embeds) > maxEmbeds {
		e.add("embeds", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxEmbeds))
	}
	total := 0
	for i, x := range embeds {
		em, _ := x.(map[string]any)
		p := "embeds." + strconv.Itoa(i)
		total += maxLen(e, p+".title", em["title"], maxEmbedTitle)
		total += maxLen(e, p+".description", em["description"], maxEmbedDesc)
		if f, _ := em["footer"].(map[string]any); f != nil {
			total += maxLen(e, p+".footer.text", f["text"], maxFooterText)
		}
		if a, _ := em["author"].(map[string]any); a != nil {
			total += maxLen(e, p+".author.name", a["name"], maxAuthorName)
		}
		fields, _ := em["fields"].([]any)
		if len(fields) > maxEmbedFields {
			e.add(p+".fields", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxEmbedFields))
		}
		for j, y := range fields {
			f, _ := y.(map[string]any)
			fp := p + ".fields." + strconv.Itoa(j)
			for _, k := range []string{"name", "value"} {
				if str, _ := f[k].(string); strings.TrimSpace(str) == "" {
					e.add(fp+"."+k, "BASE_TYPE_REQUIRED", "This field is required")
				}
			}
			total += maxLen(e, fp+".name", f["name"], maxFieldName)
			total += maxLen(e, fp+".value", f["value"], maxFieldValue)
		}
	}
	if total > maxEmbedTotal {
		e.add("embeds", "MAX_EMBED_SIZE_EXCEEDED", fmt.Sprintf("Embed size exceeds maximum size of %d", maxEmbedTotal))
	}
	rows, _ := body["components"].([]any)
	if len(rows) > maxActionRows {
		e.add("components", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxActionRows))
	}
	for i, x := range rows {
		row, _ := x.(map[string]any)
		p := "components." + strconv.Itoa(i)
		if t, _ := row["type"].(float64); int(t) != int(discordgo.ActionsRowComponent) {
			e.add(p+".type", "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "Top-level components must be action rows")
			continue
		}
		comps, _ := row["components"].([]any)
		if len(comps) == 0 || len(comps) > maxRowComponents {
			e.add(p+".components", "BASE_TYPE_BAD_LENGTH", fmt.Sprintf("Must be between 1 and %d in length.", maxRowComponents))
		}
		for j, y := range comps {
			c, _ := y.(map[string]any)
			cp := p + ".components." + strconv.Itoa(j)
			maxLen(e, cp+".label", c["label"], maxButtonLabel)
			maxLen(e, cp+".custom_id", c["custom_id"], maxCustomID)
			if t, _ := c["type"].(float64); int(t) == int(discordgo.ButtonComponent) {
				style, _ := c["style"].(float64)
				url, _ := c["url"].(string)
				cid, _ := c["custom_id"].(string)
				if int(style) == int(discordgo.LinkButton) && url == "" {
					e.add(cp+".url", "BASE_TYPE_REQUIRED", "This field is required")
				}
				if int(style) != int(discordgo.LinkButton) && cid == "" {
					e.add(cp+".custom_id", "BASE_TYPE_REQUIRED", "This field is required")
				}
				if lbl, _ := c["label"].(string); lbl == "" && c["emoji"] == nil {
					e.add(cp+".label", "BASE_TYPE_REQUIRED", "A button needs a label or an emoji")
				}
			}
		}
	}
	if rep, bad := e.reply(); bad {
		return rep, true
	}
	if create {
		content, _ := body["content"].(string)
		stickers, _ := body["sticker_ids"].([]any)
		if strings.TrimSpace(content) == "" && len(embeds) == 0 && len(rows) == 0 && files == 0 && len(stickers) == 0 && body["poll"] == nil {
			return errEmptyMessage(), true
		}
	}
	return reply{}, false
}

// validateChoices checks an autocomplete result.
func validateChoices(data map[string]any) (reply, bool) {
	e := formErrors{}
	choices, _ := data["choices"].([]any)
	if len(choices) > maxChoices {
		e.add("data.choices", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxChoices))
	}
	for i, x := range choices {
		c, _ := x.(map[string]any)
		p := "data.choices." + strconv.Itoa(i)
		if n := maxLen(e, p+".name", c["name"], maxChoiceName); n == 0 {
			e.add(p+".name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
		}
		switch v := c["value"].(type) {
		case string:
			maxLen(e, p+".value", v, maxChoiceValue)
		case float64:
		default:
			e.add(p+".value", "BASE_TYPE_REQUIRED", "This field is required")
		}
	}
	return e.reply()
}

// validateCommands checks a bulk overwrite as Discord does.
func validateCommands(cmds []*discordgo.ApplicationCommand) (reply, bool) {
	e := formErrors{}
	if len(cmds) > maxCommands {
		e.add("_root", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxCommands))
	}
	seen := map[string]bool{}
	for i, c := range cmds {
		p := strconv.Itoa(i)
		if c == nil {
			e.add(p, "BASE_TYPE_REQUIRED", "This field is required")
			continue
		}
		chat := c.Type == 0 || c.Type == discordgo.ChatApplicationCommand
		if chat && !commandNameRe.MatchString(c.Name) {
			e.add(p+".name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
		}
		if key := fmt.Sprint(c.Type, c.Name); seen[key] {
			e.add(p+".name", "APPLICATION_COMMAND_NAME_ALREADY_EXISTS", "Application command names must be unique")
		} else {
			seen[key] = true
		}
		if chat {
			checkDescription(e, p+".description", c.Description)
		}
		checkOptions(e, p+".options", c.Options)
	}
	return e.reply()
}

func checkDescription(e formErrors, path, d string) {
	if n := utf8.RuneCountInString(d); n < 1 || n > maxDescription {
		e.add(path, "BASE_TYPE_BAD_LENGTH", fmt.Sprintf("Must be between 1 and %d in length.", maxDescription))
	}
}

func checkOptions(e formErrors, path string, opts []*discordgo.ApplicationCommandOption) {
	if len(opts) > maxCommandOptions {
		e.add(path, "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxCommandOptions))
	}
	optional := false
	for i, o := range opts {
		p := path + "." + strconv.Itoa(i)
		if o == nil {
			e.add(p, "BASE_TYPE_REQUIRED", "This field is required")
			continue
		}
		if !commandNameRe.MatchString(o.Name) {
			e.add(p+".name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
		}
		checkDescription(e, p+".description", o.Description)
		if o.Required && optional {
			e.add(p+".required", "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", "Required options must be placed before non-required options")
		}
		if !o.Required {
			optional = true
		}
		if len(o.Choices) > maxChoices {
			e.add(p+".choices", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxChoices))
		}
		if o.Autocomplete && len(o.Choices) > 0 {
			e.add(p+".autocomplete", "APPLICATION_COMMAND_OPTION_AUTOCOMPLETE_CHOICES", "Autocomplete cannot be set with choices")
		}
		checkOptions(e, p+".options", o.Options)
	}
}
