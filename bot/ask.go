package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/talkbot/talkbot/answer"
)

// User-facing notices. Errors are friendly and carry the request ID that
// the log line has too.
const (
	msgBusy     = "I'm answering a lot of questions right now — please try again in a minute."
	msgShutdown = "I'm restarting — please ask again in a minute."
	msgError    = "Sorry, something went wrong while answering (request %s). Please try again."
	msgTimeout  = "Sorry, that took too long to answer (request %s). Please try again."
)

func rateLimitText(wait time.Duration) string {
	return fmt.Sprintf("You're asking quickly — try again in %d s.", int(math.Ceil(wait.Seconds())))
}

// output is where one answer is shown: an interaction's responses or
// channel messages. The answer flow is the same for both.
type output interface {
	// preview shows text still being written (first call creates).
	preview(ctx context.Context, question, text string) error
	// final shows the rendered answer; parts after the first are new messages.
	final(ctx context.Context, parts []part, buttons []discordgo.MessageComponent) error
	// fail shows an error notice, privately where the surface can.
	fail(ctx context.Context, text string) error
}

// question is one question on its way to an answer.
type question struct {
	id       string // request ID: the Discord event's ID
	surface  string
	user     string
	req      answer.Request
	received time.Time
	out      output
	token    string // interaction token to keep out of logs
}

// admit applies the rate limit and the queue bound; on refusal it returns
// the notice to show, or "" when the user was already told (message
// surfaces reply publicly, so a user mentioning the bot again and again
// gets one notice per wait, not one per message).
func (b *Bot) admit(surface, user string) (bool, string) {
	ok, wait := b.limiter.allow(user, time.Now())
	if !ok {
		b.counters.rateLimited.Add(1)
		b.refused(surface, RefusedRateLimited)
		if surface != SurfaceSlash && !b.limiter.firstNotice(user) {
			return false, ""
		}
		return false, rateLimitText(wait)
	}
	ok, closed := b.gate.admit()
	switch {
	case closed:
		b.refused(surface, RefusedShutdown)
		return false, msgShutdown
	case !ok:
		b.counters.busy.Add(1)
		b.refused(surface, RefusedBusy)
		return false, msgBusy
	}
	return true, ""
}

func (b *Bot) refused(surface, reason string) {
	b.log.Info("question refused", "surface", surface, "reason", reason)
	if b.opts.Observer != nil {
		b.opts.Observer.Refused(surface, reason)
	}
}

// answer waits for a slot, asks, and shows the answer; the caller holds a
// queue place (admit) and has acknowledged the event.
func (b *Bot) answer(q question) {
	defer b.gate.leave()
	ctx, cancel := context.WithTimeout(b.work, b.opts.AnswerTimeout)
	defer cancel()
	log := b.log.With("request_id", q.id, "surface", q.surface, "user", q.user)

	if err := b.gate.acquire(ctx); err != nil {
		b.finish(ctx, q, log, answer.Answer{}, fmt.Errorf("waiting for a free slot: %w", err))
		return
	}
	defer b.gate.release()

	st := newStreamer(b.opts.StreamInterval, func(text string) {
		if err := q.out.preview(ctx, q.req.Question, text); err != nil {
			log.Warn("streaming an answer preview", errAttr(err, q.token))
		}
	})
	a, err := b.ans.AskStream(ctx, q.req, st.add)
	st.stop()
	b.finish(ctx, q, log, a, err)
}

// finish shows an answer or an error, records it, and logs it.
func (b *Bot) finish(ctx context.Context, q question, log *slog.Logger, a answer.Answer, err error) {
	// Showing the result gets its own short deadline: the answer's may be
	// what ran out.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	b.counters.questions.Add(1)
	took := time.Since(q.received)
	if err != nil {
		b.counters.errors.Add(1)
		text := fmt.Sprintf(msgError, q.id)
		switch {
		case errors.Is(err, answer.ErrEmptyQuestion), errors.Is(err, answer.ErrQuestionTooLong), errors.Is(err, answer.ErrNotUTF8):
			text = err.Error()
		case errors.Is(err, context.DeadlineExceeded):
			text = fmt.Sprintf(msgTimeout, q.id)
		case errors.Is(err, context.Canceled):
			text = msgShutdown
		}
		log.Error("answering failed", errAttr(err, q.token), "took", took.Round(time.Millisecond))
		if ferr := q.out.fail(sctx, text); ferr != nil {
			log.Warn("showing the error notice", errAttr(ferr, q.token))
		}
	} else {
		if a.Found {
			b.counters.answered.Add(1)
		} else {
			b.counters.notFound.Add(1)
		}
		if ferr := q.out.final(sctx, renderAnswer(a, took), feedbackButtons(q.id)); ferr != nil {
			b.counters.errors.Add(1)
			err = fmt.Errorf("showing the answer: %w", ferr)
			log.Error("showing the answer failed", errAttr(ferr, q.token))
			if ferr := q.out.fail(sctx, fmt.Sprintf(msgError, q.id)); ferr != nil {
				log.Warn("showing the error notice", errAttr(ferr, q.token))
			}
		} else {
			log.Info("answered", "found", a.Found, "mode", a.Mode, "citations", len(a.Citations),
				"history", len(q.req.History), "took", took.Round(time.Millisecond))
		}
	}
	b.logQuestion(q, a, err, took)
	if b.opts.Observer != nil {
		b.opts.Observer.Answered(q.surface, a, err, took)
	}
}

// streamer throttles LLM deltas into previews at most once per interval,
// on its own goroutine so the LLM stream never waits on Discord.
type streamer struct {
	interval time.Duration
	show     func(string)

	mu      sync.Mutex
	text    strings.Builder
	dirty   bool
	started bool
	wake    chan struct{}
	done    chan struct{}
	stopped chan struct{}
}

func newStreamer(interval time.Duration, show func(string)) *streamer {
	return &streamer{interval: interval, show: show, wake: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{})}
}

// add takes a delta; it never blocks on the network.
func (s *streamer) add(delta string) {
	s.mu.Lock()
	s.text.WriteString(delta)
	s.dirty = true
	if !s.started {
		s.started = true
		go s.loop()
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *streamer) loop() {
	defer close(s.stopped)
	var last time.Time
	for {
		select {
		case <-s.done:
			return
		case <-s.wake:
		}
		if wait := s.interval - time.Since(last); !last.IsZero() && wait > 0 {
			select {
			case <-s.done:
				return
			case <-time.After(wait):
			}
		}
		s.mu.Lock()
		text, dirty := s.text.String(), s.dirty
		s.dirty = false
		s.mu.Unlock()
		if dirty && strings.TrimSpace(text) != "" {
			s.show(text)
			last = time.Now()
		}
	}
}

// stop ends previews and waits for one in progress, so the final answer
// is never overwritten by a late preview.
func (s *streamer) stop() {
	s.mu.Lock()
	started := s.started
	s.started = true // a late add must not start the loop again
	s.mu.Unlock()
	close(s.done)
	if started {
		<-s.stopped
	}
}

// ---- slash commands ----

func (b *Bot) onAsk(i *discordgo.Interaction, d discordgo.ApplicationCommandInteractionData, received time.Time) {
	user := interactionUser(i)
	if !b.channelAllowed(i.ChannelID, i.GuildID) {
		b.respondEphemeral(i, "I only answer in "+b.allowedList()+" here.")
		return
	}
	text, private := "", false
	if o := option(d.Options, "question"); o != nil {
		text, _ = o.Value.(string)
	}
	if o := option(d.Options, "private"); o != nil {
		private, _ = o.Value.(bool)
	}
	qtext, err := answer.Normalize(text)
	if err != nil {
		b.respondEphemeral(i, err.Error())
		return
	}
	if ok, notice := b.admit(SurfaceSlash, user); !ok {
		b.respondEphemeral(i, notice)
		return
	}
	var flags discordgo.MessageFlags
	if private {
		flags = discordgo.MessageFlagsEphemeral
	}
	// Acknowledge at once: Discord allows 3 s for the first response, and
	// an answer may wait in the queue longer than that.
	err = b.s.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: flags, AllowedMentions: noMentions()}}, discordgo.WithContext(b.work))
	if err != nil {
		b.gate.leave()
		b.counters.errors.Add(1)
		b.log.Error("acknowledging /ask failed", "request_id", i.ID, errAttr(err, i.Token))
		return
	}
	b.log.Debug("acknowledged /ask", "request_id", i.ID, "after", time.Since(received))
	b.answer(question{id: i.ID, surface: SurfaceSlash, user: user, req: answer.Request{Question: qtext},
		received: received, out: &interactionOutput{b: b, i: i, private: private}, token: i.Token})
}

// interactionOutput shows an answer as the deferred response (edited) and
// follow-ups.
type interactionOutput struct {
	b       *Bot
	i       *discordgo.Interaction
	private bool
}

func (o *interactionOutput) preview(ctx context.Context, question, text string) error {
	embeds := []*discordgo.MessageEmbed{previewEmbed(question, text)}
	_, err := o.b.s.InteractionResponseEdit(o.i, &discordgo.WebhookEdit{Embeds: &embeds, AllowedMentions: noMentions()}, discordgo.WithContext(ctx))
	return err
}

func (o *interactionOutput) final(ctx context.Context, parts []part, buttons []discordgo.MessageComponent) error {
	for k, p := range parts {
		comps := []discordgo.MessageComponent{}
		if k == len(parts)-1 {
			comps = buttons
		}
		if k == 0 {
			content, embeds := p.Content, p.Embeds
			if embeds == nil {
				embeds = []*discordgo.MessageEmbed{} // clear a streamed preview
			}
			if _, err := o.b.s.InteractionResponseEdit(o.i, &discordgo.WebhookEdit{Content: &content, Embeds: &embeds,
				Components: &comps, AllowedMentions: noMentions()}, discordgo.WithContext(ctx)); err != nil {
				return err
			}
			continue
		}
		var flags discordgo.MessageFlags
		if o.private {
			flags = discordgo.MessageFlagsEphemeral
		}
		if _, err := o.b.s.FollowupMessageCreate(o.i, true, &discordgo.WebhookParams{Content: p.Content, Embeds: p.Embeds,
			Components: comps, Flags: flags, AllowedMentions: noMentions()}, discordgo.WithContext(ctx)); err != nil {
			return err
		}
	}
	return nil
}

// fail replaces a public "thinking…" response with a private notice:
// errors are shown only to the user who asked.
func (o *interactionOutput) fail(ctx context.Context, text string) error {
	if o.private {
		empty := []*discordgo.MessageEmbed{}
		_, err := o.b.s.InteractionResponseEdit(o.i, &discordgo.WebhookEdit{Content: &text, Embeds: &empty, AllowedMentions: noMentions()},
			discordgo.WithContext(ctx))
		return err
	}
	if err := o.b.s.InteractionResponseDelete(o.i, discordgo.WithContext(ctx)); err != nil {
		o.b.log.Warn("removing the deferred response", "request_id", o.i.ID, errAttr(err, o.i.Token))
	}
	_, err := o.b.s.FollowupMessageCreate(o.i, true, &discordgo.WebhookParams{Content: text, Flags: discordgo.MessageFlagsEphemeral,
		AllowedMentions: noMentions()}, discordgo.WithContext(ctx))
	return err
}

// ---- mentions, DMs and replies ----

// onMessage answers DMs, guild messages that mention the bot, and replies
// to the bot's answers. It ignores bots, itself and, in guilds, channels
// outside the allowed list.
func (b *Bot) onMessage(_ *discordgo.Session, mc *discordgo.MessageCreate) {
	m := mc.Message
	received := time.Now()
	me := b.botUserID()
	if m == nil || m.Author == nil || m.Author.Bot || m.Author.ID == me || me == "" {
		return
	}
	if m.Type != discordgo.MessageTypeDefault && m.Type != discordgo.MessageTypeReply {
		return // joins, pins, thread notices…
	}
	dm := m.GuildID == ""
	replyToMe := m.ReferencedMessage != nil && m.ReferencedMessage.Author != nil && m.ReferencedMessage.Author.ID == me
	if !dm && !mentions(m, me) && !replyToMe {
		return
	}
	if !b.channelAllowed(m.ChannelID, m.GuildID) {
		b.log.Debug("ignoring a mention outside the allowed channels", "channel", m.ChannelID)
		return
	}
	text := stripMention(m.Content, me)
	if strings.TrimSpace(text) == "" {
		// Without the Message Content intent a reply that does not ping the
		// bot arrives empty; there is nothing to answer.
		if mentions(m, me) || dm {
			b.spawn("message", func() {
				b.reply(m, "Ask me something about the articles, e.g. \"How long did Witkoff meet Putin?\" — or see /help.")
			})
		}
		return
	}
	surface := SurfaceMention
	if dm {
		surface = SurfaceDM
	}
	b.spawn("message", func() {
		qtext, err := answer.Normalize(text)
		if err != nil {
			b.reply(m, err.Error())
			return
		}
		if ok, notice := b.admit(surface, m.Author.ID); !ok {
			if notice != "" {
				b.reply(m, notice)
			}
			return
		}
		// Typing shows at once and lasts ~10 s; keep it up while answering.
		typingCtx, stopTyping := context.WithCancel(b.work)
		go b.keepTyping(typingCtx, m.ChannelID)
		defer stopTyping()
		history := b.history(b.work, m)
		b.answer(question{id: m.ID, surface: surface, user: m.Author.ID, received: received,
			req: answer.Request{Question: qtext, History: history},
			out: &messageOutput{b: b, m: m, stopTyping: stopTyping}})
	})
}

func (b *Bot) keepTyping(ctx context.Context, channelID string) {
	for {
		if err := b.s.ChannelTyping(channelID, discordgo.WithContext(ctx)); err != nil && ctx.Err() == nil {
			b.log.Debug("typing indicator", "channel", channelID, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(8 * time.Second):
		}
	}
}

// reply sends a short plain reply to m (notices for message surfaces,
// which cannot be ephemeral).
func (b *Bot) reply(m *discordgo.Message, text string) {
	_, err := b.s.ChannelMessageSendComplex(m.ChannelID, &discordgo.MessageSend{Content: truncate(text, maxContent),
		Reference: replyRef(m), AllowedMentions: noMentions()}, discordgo.WithContext(b.work))
	if err != nil {
		b.log.Warn("replying", "channel", m.ChannelID, "err", err)
	}
}

func replyRef(m *discordgo.Message) *discordgo.MessageReference {
	no := false
	return &discordgo.MessageReference{MessageID: m.ID, ChannelID: m.ChannelID, GuildID: m.GuildID, FailIfNotExists: &no}
}

// messageOutput shows an answer as a reply to the question, streamed by
// editing that reply, continued in further messages when long.
type messageOutput struct {
	b          *Bot
	m          *discordgo.Message
	stopTyping func()
	sent       *discordgo.Message // the streamed preview, edited into the answer
}

func (o *messageOutput) preview(ctx context.Context, question, text string) error {
	embeds := []*discordgo.MessageEmbed{previewEmbed(question, text)}
	if o.sent == nil {
		msg, err := o.b.s.ChannelMessageSendComplex(o.m.ChannelID, &discordgo.MessageSend{Embeds: embeds, Reference: replyRef(o.m),
			AllowedMentions: noMentions()}, discordgo.WithContext(ctx))
		if err != nil {
			return err
		}
		o.sent = msg
		o.stopTyping()
		return nil
	}
	_, err := o.b.s.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: o.sent.ID, Channel: o.sent.ChannelID, Embeds: &embeds,
		AllowedMentions: noMentions()}, discordgo.WithContext(ctx))
	return err
}

func (o *messageOutput) final(ctx context.Context, parts []part, buttons []discordgo.MessageComponent) error {
	defer o.stopTyping()
	for k, p := range parts {
		comps := []discordgo.MessageComponent{}
		if k == len(parts)-1 {
			comps = buttons
		}
		if k == 0 && o.sent != nil {
			content, embeds := p.Content, p.Embeds
			if embeds == nil {
				embeds = []*discordgo.MessageEmbed{}
			}
			if _, err := o.b.s.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: o.sent.ID, Channel: o.sent.ChannelID,
				Content: &content, Embeds: &embeds, Components: &comps, AllowedMentions: noMentions()}, discordgo.WithContext(ctx)); err != nil {
				return err
			}
			continue
		}
		send := &discordgo.MessageSend{Content: p.Content, Embeds: p.Embeds, Components: comps, AllowedMentions: noMentions()}
		if k == 0 {
			send.Reference = replyRef(o.m)
		}
		if _, err := o.b.s.ChannelMessageSendComplex(o.m.ChannelID, send, discordgo.WithContext(ctx)); err != nil {
			return err
		}
	}
	return nil
}

func (o *messageOutput) fail(ctx context.Context, text string) error {
	o.stopTyping()
	if o.sent != nil {
		empty := []*discordgo.MessageEmbed{}
		_, err := o.b.s.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: o.sent.ID, Channel: o.sent.ChannelID, Content: &text,
			Embeds: &empty, AllowedMentions: noMentions()}, discordgo.WithContext(ctx))
		return err
	}
	_, err := o.b.s.ChannelMessageSendComplex(o.m.ChannelID, &discordgo.MessageSend{Content: text, Reference: replyRef(o.m),
		AllowedMentions: noMentions()}, discordgo.WithContext(ctx))
	return err
}

// mentions reports whether m mentions user id.
func mentions(m *discordgo.Message, id string) bool {
	for _, u := range m.Mentions {
		if u != nil && u.ID == id {
			return true
		}
	}
	return false
}

// stripMention removes the bot's own mention from a question.
func stripMention(s, id string) string {
	s = strings.ReplaceAll(s, "<@"+id+">", " ")
	s = strings.ReplaceAll(s, "<@!"+id+">", " ")
	return strings.TrimSpace(s)
}

// history reads the reply chain above m (at most HistoryHops messages) and
// returns the bot's earlier answers in it as turns, oldest first. Each of
// the bot's answers carries its question as the embed title; for plain
// answers the question is the user's message it replied to.
func (b *Bot) history(ctx context.Context, m *discordgo.Message) []answer.Turn {
	me := b.botUserID()
	var chain []*discordgo.Message
	next := m.ReferencedMessage
	ref := m.MessageReference
	for hops := 0; hops < b.opts.HistoryHops && ref != nil && ref.MessageID != ""; hops++ {
		cur := next
		if cur == nil || cur.ID != ref.MessageID {
			ch := ref.ChannelID
			if ch == "" {
				ch = m.ChannelID
			}
			var err error
			cur, err = b.s.ChannelMessage(ch, ref.MessageID, discordgo.WithContext(ctx))
			if err != nil {
				b.log.Debug("reply chain ends at a message we cannot read", "message", ref.MessageID, "err", err)
				break
			}
		}
		chain = append(chain, cur)
		next, ref = cur.ReferencedMessage, cur.MessageReference
	}
	var turns []answer.Turn
	for k, c := range chain {
		if c.Author == nil || c.Author.ID != me {
			continue
		}
		t := answer.Turn{}
		var texts []string
		for _, e := range c.Embeds {
			if t.Question == "" && e.Title != "" {
				t.Question = unescape(e.Title)
			}
			if e.Description != "" {
				texts = append(texts, unescape(e.Description))
			}
		}
		if len(texts) == 0 && strings.TrimSpace(c.Content) != "" {
			texts = []string{c.Content}
		}
		if t.Question == "" && k+1 < len(chain) && chain[k+1].Author != nil && chain[k+1].Author.ID != me {
			t.Question = stripMention(chain[k+1].Content, me)
		}
		t.Answer = strings.Join(texts, "\n")
		if t.Question == "" || t.Answer == "" {
			continue
		}
		turns = append(turns, t)
	}
	for l, r := 0, len(turns)-1; l < r; l, r = l+1, r-1 {
		turns[l], turns[r] = turns[r], turns[l]
	}
	return turns
}
