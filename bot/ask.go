package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"regexp"
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
	// msgNoAnswer replaces a public "thinking…" response when the error
	// notice cannot go privately; it says nothing about the error.
	msgNoAnswer = "No answer this time."
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
	// Showing the result gets its own deadline: the answer's may be what
	// ran out. A minute covers waiting for room in a busy channel's budget
	// (a dozen answers ahead at 5 writes per 5 s) so final texts land.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
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
	qtext, err := answer.Normalize(stripMentions(text))
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
	var rerr *discordgo.RESTError
	if err := o.b.s.InteractionResponseDelete(o.i, discordgo.WithContext(ctx)); err != nil &&
		!(errors.As(err, &rerr) && rerr.Response != nil && rerr.Response.StatusCode == http.StatusNotFound) { // 404: already gone
		o.b.log.Warn("removing the deferred response", "request_id", o.i.ID, errAttr(err, o.i.Token))
		// A follow-up would now replace the public "thinking…" message
		// (Discord ignores its ephemeral flag then), so settle that message
		// with a neutral text first, and tell the user privately only after.
		neutral, empty := msgNoAnswer, []*discordgo.MessageEmbed{}
		if _, err := o.b.s.InteractionResponseEdit(o.i, &discordgo.WebhookEdit{Content: &neutral, Embeds: &empty,
			AllowedMentions: noMentions()}, discordgo.WithContext(ctx)); err != nil {
			return fmt.Errorf("settling the deferred response: %w", err)
		}
	}
	_, err := o.b.s.FollowupMessageCreate(o.i, true, &discordgo.WebhookParams{Content: text, Flags: discordgo.MessageFlagsEphemeral,
		AllowedMentions: noMentions()}, discordgo.WithContext(ctx))
	return err
}

// ---- mentions, DMs and replies ----

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
// which cannot be ephemeral), inside the channel's budget.
func (b *Bot) reply(m *discordgo.Message, text string) {
	err := b.paced(b.work, m.ChannelID, func() error {
		_, err := b.s.ChannelMessageSendComplex(m.ChannelID, &discordgo.MessageSend{Content: truncate(text, maxContent),
			Reference: replyRef(m), AllowedMentions: noMentions()}, discordgo.WithContext(b.work))
		return err
	})
	if err != nil {
		b.log.Warn("replying", "channel", m.ChannelID, "err", err)
	}
}

// paced runs one write to channel (a post, an edit, a thread start) inside
// the channel's budget, waiting for room as long as ctx allows.
func (b *Bot) paced(ctx context.Context, channel string, write func() error) error {
	release, err := b.pacer.wait(ctx, channel)
	if err != nil {
		return fmt.Errorf("waiting for room in the channel's rate budget: %w", err)
	}
	defer release()
	return write()
}

// pacedPreview runs a preview write only if the channel's budget has room
// to spare; otherwise it skips it (a later preview or the final text shows
// the answer), so previews never hold up final texts.
func (b *Bot) pacedPreview(channel string, write func() error) error {
	release, ok := b.pacer.try(channel)
	if !ok {
		return nil
	}
	defer release()
	return write()
}

func replyRef(m *discordgo.Message) *discordgo.MessageReference {
	no := false
	return &discordgo.MessageReference{MessageID: m.ID, ChannelID: m.ChannelID, GuildID: m.GuildID, FailIfNotExists: &no}
}

// messageOutput shows an answer as a reply to the question, streamed by
// editing that reply, continued in further messages when long. Every write
// goes through the channel's budget, shared with other answers there.
type messageOutput struct {
	b          *Bot
	m          *discordgo.Message // the message answered (the last of a chain)
	stopTyping func()
	sent       *discordgo.Message // the streamed preview, edited into the answer
	// thread, if set, opens a thread on the answer for follow-ups, named
	// after the question.
	thread string
}

func (o *messageOutput) preview(ctx context.Context, question, text string) error {
	embeds := []*discordgo.MessageEmbed{previewEmbed(question, text)}
	ch := o.m.ChannelID
	if o.sent == nil {
		return o.b.pacedPreview(ch, func() error {
			msg, err := o.b.s.ChannelMessageSendComplex(ch, &discordgo.MessageSend{Embeds: embeds, Reference: replyRef(o.m),
				AllowedMentions: noMentions()}, discordgo.WithContext(ctx))
			if err != nil {
				return err
			}
			o.sent = msg
			o.stopTyping()
			return nil
		})
	}
	return o.b.pacedPreview(ch, func() error {
		_, err := o.b.s.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: o.sent.ID, Channel: o.sent.ChannelID, Embeds: &embeds,
			AllowedMentions: noMentions()}, discordgo.WithContext(ctx))
		return err
	})
}

func (o *messageOutput) final(ctx context.Context, parts []part, buttons []discordgo.MessageComponent) error {
	defer o.stopTyping()
	ch := o.m.ChannelID
	var first *discordgo.Message
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
			if err := o.b.paced(ctx, ch, func() error {
				_, err := o.b.s.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: o.sent.ID, Channel: o.sent.ChannelID,
					Content: &content, Embeds: &embeds, Components: &comps, AllowedMentions: noMentions()}, discordgo.WithContext(ctx))
				return err
			}); err != nil {
				return err
			}
			first = o.sent
			continue
		}
		send := &discordgo.MessageSend{Content: p.Content, Embeds: p.Embeds, Components: comps, AllowedMentions: noMentions()}
		if k == 0 {
			send.Reference = replyRef(o.m)
		}
		if err := o.b.paced(ctx, ch, func() error {
			msg, err := o.b.s.ChannelMessageSendComplex(ch, send, discordgo.WithContext(ctx))
			if k == 0 && err == nil {
				first = msg
			}
			return err
		}); err != nil {
			return err
		}
	}
	if o.thread != "" && first != nil {
		// The answer is shown; a thread that fails to open (e.g. no Create
		// Public Threads permission) costs only the thread.
		o.b.openThread(ctx, first, o.thread)
	}
	return nil
}

func (o *messageOutput) fail(ctx context.Context, text string) error {
	o.stopTyping()
	ch := o.m.ChannelID
	return o.b.paced(ctx, ch, func() error {
		if o.sent != nil {
			empty := []*discordgo.MessageEmbed{}
			_, err := o.b.s.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: o.sent.ID, Channel: o.sent.ChannelID, Content: &text,
				Embeds: &empty, AllowedMentions: noMentions()}, discordgo.WithContext(ctx))
			return err
		}
		_, err := o.b.s.ChannelMessageSendComplex(ch, &discordgo.MessageSend{Content: text, Reference: replyRef(o.m),
			AllowedMentions: noMentions()}, discordgo.WithContext(ctx))
		return err
	})
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

// mentionRe matches user, role and channel mentions and @everyone/@here.
var mentionRe = regexp.MustCompile(`<(?:@[!&]?|#)\d+>|@(?:everyone|here)\b`)

// stripMentions removes mentions (the bot's and anyone else's, roles,
// channels) from a question: they are addressing, not words to search for,
// and an ID could match an article that happens to contain it.
func stripMentions(s string) string {
	return strings.Join(strings.Fields(mentionRe.ReplaceAllString(s, " ")), " ")
}
