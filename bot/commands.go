package bot

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// Custom ID prefixes of the bot's buttons.
const (
	idFeedback = "fb"  // fb:up:<answer id>, fb:down:<answer id>
	idSources  = "src" // src:<page>
)

// sourcesPerPage keeps /sources one screen long.
const sourcesPerPage = 10

// Commands are the slash commands the bot registers. contexts and
// integration_types replace the deprecated dm_permission: installed to a
// server, usable there and in DMs with the bot.
func Commands() []*discordgo.ApplicationCommand {
	everywhere := func() *[]discordgo.InteractionContextType {
		return &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild, discordgo.InteractionContextBotDM}
	}
	guildInstall := func() *[]discordgo.ApplicationIntegrationType {
		return &[]discordgo.ApplicationIntegrationType{discordgo.ApplicationIntegrationGuildInstall}
	}
	return []*discordgo.ApplicationCommand{
		{
			Name: "ask", Description: "Ask a question about the news articles; the answer cites its sources",
			Contexts: everywhere(), IntegrationTypes: guildInstall(),
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "question", Description: "What do you want to know?",
					Required: true, MaxLength: 1000},
				{Type: discordgo.ApplicationCommandOptionBoolean, Name: "private", Description: "Only you see the answer"},
			},
		},
		{Name: "sources", Description: "List the articles I answer from", Contexts: everywhere(), IntegrationTypes: guildInstall()},
		{
			Name: "source", Description: "Show one article: title, details and the opening",
			Contexts: everywhere(), IntegrationTypes: guildInstall(),
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "id", Description: "Article ID or title",
					Required: true, Autocomplete: true},
			},
		},
		{Name: "help", Description: "How to ask me questions", Contexts: everywhere(), IntegrationTypes: guildInstall()},
	}
}

// registerCommands replaces the application's commands with one bulk
// overwrite (guild-scoped when a guild is configured).
func (b *Bot) registerCommands(ctx context.Context) error {
	app := b.appID.Load().(string)
	if app == "" {
		a, err := b.s.Application("@me")
		if err != nil {
			return fmt.Errorf("looking up the Discord application: %w", err)
		}
		app = a.ID
		b.appID.Store(app)
	}
	cmds, err := b.s.ApplicationCommandBulkOverwrite(app, b.opts.GuildID, Commands(), discordgo.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("registering slash commands: %w", err)
	}
	scope := "global (may take up to an hour to appear)"
	if b.opts.GuildID != "" {
		scope = "guild " + b.opts.GuildID
	}
	b.log.Info("slash commands registered", "count", len(cmds), "scope", scope)
	return nil
}

// onInteraction routes an INTERACTION_CREATE. It runs on the gateway
// goroutine, so the work goes to a goroutine of its own at once.
func (b *Bot) onInteraction(_ *discordgo.Session, ic *discordgo.InteractionCreate) {
	i := ic.Interaction
	if i == nil {
		return
	}
	received := time.Now()
	b.spawn("interaction", func() {
		switch i.Type {
		case discordgo.InteractionApplicationCommand:
			d := i.ApplicationCommandData()
			switch d.Name {
			case "ask":
				b.onAsk(i, d, received)
			case "sources":
				b.onSources(i)
			case "source":
				b.onSource(i, d)
			case "help":
				b.respond(i, &discordgo.InteractionResponseData{Content: b.helpText(), Flags: discordgo.MessageFlagsEphemeral})
			default:
				b.respondEphemeral(i, "I don't know that command; try /help.")
			}
		case discordgo.InteractionApplicationCommandAutocomplete:
			b.onAutocomplete(i)
		case discordgo.InteractionMessageComponent:
			b.onComponent(i)
		}
	})
}

// respond sends an interaction's first response as a message.
func (b *Bot) respond(i *discordgo.Interaction, data *discordgo.InteractionResponseData) {
	data.AllowedMentions = noMentions()
	err := b.s.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: data},
		discordgo.WithContext(b.work))
	if err != nil {
		b.log.Warn("responding to an interaction", "interaction", i.ID, errAttr(err, i.Token))
	}
}

// respondEphemeral answers only the user who acted.
func (b *Bot) respondEphemeral(i *discordgo.Interaction, text string) {
	b.respond(i, &discordgo.InteractionResponseData{Content: truncate(text, maxContent), Flags: discordgo.MessageFlagsEphemeral})
}

func (b *Bot) helpText() string {
	var sb strings.Builder
	sb.WriteString("I answer questions about the news articles I have, and cite the passages I used as [1], [2] …\n\n")
	sb.WriteString("• `/ask question:` — ask; add `private:True` so only you see the answer\n")
	sb.WriteString("• mention me with a question, or DM me\n")
	sb.WriteString("• reply to one of my answers to ask a follow-up\n")
	sb.WriteString("• `/sources` — the articles; `/source id:` — one article\n")
	fmt.Fprintf(&sb, "\nYou can ask %d questions per %s.", b.opts.UserRateLimit, b.opts.RateWindow)
	if len(b.allowed) > 0 {
		sb.WriteString(" In this server I answer in " + b.allowedList() + ".")
	}
	sb.WriteString(" Use 👍/👎 under an answer to tell us how it did.")
	return sb.String()
}

// sortedSources is the library's articles, newest first when dated, then
// by ID, so /sources pages are stable.
func (b *Bot) sortedSources() []sourceInfo {
	srcs := b.lib.Sources()
	out := make([]sourceInfo, len(srcs))
	for k, s := range srcs {
		out[k] = sourceInfo{ID: s.ID, Title: s.Title, Published: s.Published, Site: s.Site, URL: s.URL, Words: s.Words, Passages: s.Passages}
	}
	sort.SliceStable(out, func(x, y int) bool {
		if !out[x].Published.Equal(out[y].Published) {
			return out[x].Published.After(out[y].Published)
		}
		return out[x].ID < out[y].ID
	})
	return out
}

// sourceInfo is what /sources and /source show of an article.
type sourceInfo struct {
	ID, Title, Site, URL string
	Published            time.Time
	Words, Passages      int
}

func (b *Bot) onSources(i *discordgo.Interaction) {
	if !b.channelAllowed(i.ChannelID, i.GuildID) {
		b.respondEphemeral(i, "I only answer in "+b.allowedList()+" here.")
		return
	}
	embed, comps := b.sourcesPage(0)
	b.respond(i, &discordgo.InteractionResponseData{Embeds: []*discordgo.MessageEmbed{embed}, Components: comps,
		Flags: discordgo.MessageFlagsEphemeral})
}

// sourcesPage renders page p (from 0) of the article list, with Previous
// and Next buttons when there is more than one page.
func (b *Bot) sourcesPage(p int) (*discordgo.MessageEmbed, []discordgo.MessageComponent) {
	srcs := b.sortedSources()
	pages := max(1, (len(srcs)+sourcesPerPage-1)/sourcesPerPage)
	p = min(max(p, 0), pages-1)
	var sb strings.Builder
	for _, s := range srcs[min(p*sourcesPerPage, len(srcs)):min((p+1)*sourcesPerPage, len(srcs))] {
		line := "`" + strings.ReplaceAll(s.ID, "`", "'") + "` — " + escape(truncate(oneLine(s.Title), 150))
		if !s.Published.IsZero() {
			line += " (" + s.Published.Format("2006-01-02") + ")"
		}
		sb.WriteString(line + "\n")
	}
	if len(srcs) == 0 {
		sb.WriteString("No articles are loaded.")
	}
	e := &discordgo.MessageEmbed{Title: fmt.Sprintf("Articles (%d)", len(srcs)), Description: truncate(strings.TrimSpace(sb.String()), maxDescription-slack),
		Color: answerColor, Footer: &discordgo.MessageEmbedFooter{Text: fmt.Sprintf("Page %d of %d · /source id: shows one", p+1, pages)}}
	if pages == 1 {
		return e, []discordgo.MessageComponent{}
	}
	return e, []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: "Previous", Emoji: &discordgo.ComponentEmoji{Name: "◀️"}, Style: discordgo.SecondaryButton,
			CustomID: fmt.Sprintf("%s:%d", idSources, p-1), Disabled: p == 0},
		discordgo.Button{Label: "Next", Emoji: &discordgo.ComponentEmoji{Name: "▶️"}, Style: discordgo.SecondaryButton,
			CustomID: fmt.Sprintf("%s:%d", idSources, p+1), Disabled: p == pages-1},
	}}}
}

func (b *Bot) onSource(i *discordgo.Interaction, d discordgo.ApplicationCommandInteractionData) {
	if !b.channelAllowed(i.ChannelID, i.GuildID) {
		b.respondEphemeral(i, "I only answer in "+b.allowedList()+" here.")
		return
	}
	id := ""
	if o := option(d.Options, "id"); o != nil {
		id, _ = o.Value.(string)
	}
	id = strings.TrimSpace(id)
	doc, ok := b.lib.Document(id)
	if !ok {
		// Accept an exact title too: autocomplete may not have been used.
		for _, s := range b.sortedSources() {
			if strings.EqualFold(oneLine(s.Title), oneLine(id)) {
				doc, ok = b.lib.Document(s.ID)
				break
			}
		}
	}
	if !ok {
		b.respondEphemeral(i, fmt.Sprintf("I have no article with the ID %q. Pick one from the suggestions, or see /sources.", truncate(id, 100)))
		return
	}
	e := &discordgo.MessageEmbed{Title: truncate(escape(oneLine(doc.Title)), maxTitle), Color: answerColor,
		Description: escape(snippet(doc.Text, 700)),
		Fields:      []*discordgo.MessageEmbedField{{Name: "ID", Value: "`" + strings.ReplaceAll(doc.ID, "`", "'") + "`", Inline: true}}}
	e.URL = embedURL(doc.URL)
	if !doc.Published.IsZero() {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: "Published", Value: doc.Published.Format("2 January 2006"), Inline: true})
	}
	if doc.Site != "" {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: "Site", Value: escape(truncate(doc.Site, 200)), Inline: true})
	}
	e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: "Length", Value: fmt.Sprintf("%d words", len(strings.Fields(doc.Text))), Inline: true})
	if doc.TitleDerived {
		e.Footer = &discordgo.MessageEmbedFooter{Text: "The article has no headline; the title is its opening words."}
	}
	b.respond(i, &discordgo.InteractionResponseData{Embeds: []*discordgo.MessageEmbed{e}})
}

// snippet is the opening of an article, cut at a sentence end near n runes.
func snippet(text string, n int) string {
	text = strings.TrimSpace(text)
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	head := string([]rune(text)[:n])
	if k := lastSentenceEnd(head); k > len(head)/2 {
		return strings.TrimSpace(head[:k]) + " …"
	}
	return truncate(text, n)
}

// onAutocomplete suggests articles whose ID or title contains what the
// user typed (prefix matches first), at most 25 as Discord allows.
func (b *Bot) onAutocomplete(i *discordgo.Interaction) {
	typed := ""
	for _, o := range i.ApplicationCommandData().Options {
		if o.Focused {
			typed, _ = o.Value.(string)
		}
	}
	q := strings.ToLower(strings.TrimSpace(typed))
	var prefix, contains []*discordgo.ApplicationCommandOptionChoice
	for _, s := range b.sortedSources() {
		id, title := strings.ToLower(s.ID), strings.ToLower(oneLine(s.Title))
		if len(s.ID) > 100 {
			continue // not usable as a choice value
		}
		c := &discordgo.ApplicationCommandOptionChoice{Name: truncate(oneLine(s.Title)+" ("+s.ID+")", maxChoiceName), Value: s.ID}
		switch {
		case q == "" || strings.HasPrefix(id, q) || strings.HasPrefix(title, q):
			prefix = append(prefix, c)
		case strings.Contains(id, q) || strings.Contains(title, q):
			contains = append(contains, c)
		}
	}
	choices := append(prefix, contains...)
	if len(choices) > 25 {
		choices = choices[:25]
	}
	if choices == nil {
		choices = []*discordgo.ApplicationCommandOptionChoice{}
	}
	err := b.s.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: choices}}, discordgo.WithContext(b.work))
	if err != nil {
		b.log.Warn("answering autocomplete", "interaction", i.ID, errAttr(err, i.Token))
	}
}

// onComponent handles button clicks: feedback and /sources pages.
func (b *Bot) onComponent(i *discordgo.Interaction) {
	id := i.MessageComponentData().CustomID
	kind, rest, _ := strings.Cut(id, ":")
	switch kind {
	case idFeedback:
		vote, answerID, _ := strings.Cut(rest, ":")
		b.onFeedback(i, vote, answerID)
	case idSources:
		p, err := strconv.Atoi(rest)
		if err != nil {
			b.respondEphemeral(i, "That button is out of date; run /sources again.")
			return
		}
		embed, comps := b.sourcesPage(p)
		err = b.s.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseUpdateMessage,
			Data: &discordgo.InteractionResponseData{Embeds: []*discordgo.MessageEmbed{embed}, Components: comps, AllowedMentions: noMentions()}},
			discordgo.WithContext(b.work))
		if err != nil {
			b.log.Warn("turning the sources page", "interaction", i.ID, errAttr(err, i.Token))
		}
	default:
		b.respondEphemeral(i, "That button is out of date.")
	}
}

// onFeedback records a 👍/👎 click once per user and answer.
func (b *Bot) onFeedback(i *discordgo.Interaction, vote, answerID string) {
	if vote != "up" && vote != "down" {
		b.respondEphemeral(i, "That button is out of date.")
		return
	}
	user := interactionUser(i)
	key := answerID + "/" + user
	b.votesMu.Lock()
	prev := b.votes[key]
	if len(b.votes) >= 100000 {
		// Bounded memory: forgetting old votes only risks a double count.
		b.votes = map[string]string{}
	}
	b.votes[key] = vote
	b.votesMu.Unlock()

	msg := "Thanks for the feedback!"
	switch {
	case prev == vote:
		msg = "You already voted on this answer — thanks!"
	default:
		if prev != "" {
			msg = "Changed your vote — thanks!"
			b.countVote(prev, -1)
		}
		b.countVote(vote, 1)
		if b.opts.Observer != nil {
			b.opts.Observer.Feedback(vote)
		}
		b.log.Info("feedback", "vote", vote, "answer", answerID, "user", user, "channel", i.ChannelID, "changed", prev != "")
		b.logVote(i, vote, answerID)
	}
	b.respondEphemeral(i, msg)
}

func (b *Bot) countVote(vote string, d int64) {
	if vote == "up" {
		b.counters.up.Add(d)
	} else {
		b.counters.down.Add(d)
	}
}

// feedbackButtons are the 👍/👎 row under an answer.
func feedbackButtons(answerID string) []discordgo.MessageComponent {
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Emoji: &discordgo.ComponentEmoji{Name: "👍"}, Style: discordgo.SecondaryButton, CustomID: idFeedback + ":up:" + answerID},
		discordgo.Button{Emoji: &discordgo.ComponentEmoji{Name: "👎"}, Style: discordgo.SecondaryButton, CustomID: idFeedback + ":down:" + answerID},
	}}}
}

// option finds a command option by name.
func option(opts []*discordgo.ApplicationCommandInteractionDataOption, name string) *discordgo.ApplicationCommandInteractionDataOption {
	for _, o := range opts {
		if o.Name == name {
			return o
		}
	}
	return nil
}

// interactionUser is the ID of who acted, in a guild or a DM.
func interactionUser(i *discordgo.Interaction) string {
	if i.Member != nil && i.Member.User != nil {
		return i.Member.User.ID
	}
	if i.User != nil {
		return i.User.ID
	}
	return ""
}
