package bot

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/talkbot/talkbot/answer"
)

// Conversations. A question's history comes from where it was asked:
//   - a reply: the reply chain above it (HistoryHops messages);
//   - a thread: the thread's messages and the message it was started from;
//   - a DM: the DM's recent messages, back to the first pause longer than
//     ConversationIdle, so people just keep typing;
//   - a channel mention: none (with Threads on, the answer opens a thread
//     for follow-ups).
//
// Back-to-back messages from one user in one channel, each within
// ChainWindow of the last, are one question.

// Notices for message surfaces.
const (
	msgAskSomething = "Ask me something about the articles, e.g. \"How long did Witkoff meet Putin?\" — or see /help."
	// msgReplyHint answers a reply that reached the bot without its text:
	// without the Message Content intent Discord blanks replies that do not
	// ping the bot.
	msgReplyHint = "I can't read replies that don't mention me. Keep the reply's @ mention on, mention me, or use /ask."
)

// hintEvery bounds the reply hint to once per user per hour.
const hintEvery = time.Hour

// historyFetch is how many recent messages of a thread or DM are read for
// history (one request; Discord allows up to 100).
const historyFetch = 50

// threadArchive is how long an idle answer thread stays open (minutes;
// one of Discord's allowed values).
const threadArchive = 1440

// maxThreadName is Discord's limit on a thread's name.
const maxThreadName = 100

// maxChainParts bounds how many messages are joined into one question.
const maxChainParts = 5

// onMessage answers DMs, guild messages that mention the bot, replies to
// the bot's answers and, with the Message Content intent, plain messages in
// the threads it opened. It ignores bots, itself and, in guilds, channels
// outside the allowed list. It runs on the gateway goroutine, in event
// order, so chains see messages in the order they were sent; anything that
// waits runs on a goroutine of its own.
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
	mentioned := mentions(m, me)
	replyToMe := m.ReferencedMessage != nil && m.ReferencedMessage.Author != nil && m.ReferencedMessage.Author.ID == me
	inMyThread := false
	if b.opts.MessageContent && !dm && !mentioned && !replyToMe {
		ci, known := b.knownChannel(m.ChannelID)
		inMyThread = known && ci.thread && ci.owner == me
	}
	if !dm && !mentioned && !replyToMe && !inMyThread {
		return
	}
	text := stripMentions(m.Content)
	if strings.TrimSpace(text) == "" {
		switch {
		case mentioned || dm:
			b.spawn("message", func() {
				if b.messageAllowed(b.work, m) {
					b.reply(m, msgAskSomething)
				}
			})
		case replyToMe && !b.opts.MessageContent:
			// A reply with its ping turned off arrives blank: say once an
			// hour how to reach the bot rather than stay silent.
			b.spawn("message", func() {
				if b.messageAllowed(b.work, m) && b.hints.allow(m.Author.ID, received) {
					b.reply(m, msgReplyHint)
				}
			})
		}
		return
	}
	surface := SurfaceMention
	if dm {
		surface = SurfaceDM
	} else if ci, known := b.knownChannel(m.ChannelID); known && ci.thread {
		surface = SurfaceThread
	}
	key := m.ChannelID + "/" + m.Author.ID
	c, started := b.chains.add(key, m, text, received)
	if !started {
		return // joined a question still being typed
	}
	b.spawn("message", func() { b.converse(key, c, surface) })
}

// converse answers one chain of messages.
func (b *Bot) converse(key string, c *chain, surface string) {
	first := c.first()
	if !b.messageAllowed(b.work, first) {
		b.chains.wait(b.work, key, c, 0)
		b.log.Debug("ignoring a mention outside the allowed channels", "channel", first.ChannelID)
		return
	}
	// Typing shows at once and lasts ~10 s; keep it up while the chain
	// completes and the answer is written. It starts early only for a user
	// the rate limit will let through: Discord shows it for 10 s whatever
	// follows, which would mislead a refused user.
	typingCtx, stopTyping := context.WithCancel(b.work)
	defer stopTyping()
	typing := false
	startTyping := func() {
		if !typing {
			typing = true
			go b.keepTyping(typingCtx, first.ChannelID)
		}
	}
	if b.limiter.wouldAllow(first.Author.ID, time.Now()) {
		startTyping()
	}

	msgs, texts := b.chains.wait(b.work, key, c, b.opts.ChainWindow)
	last := msgs[len(msgs)-1]
	qtext, err := answer.Normalize(strings.Join(texts, " "))
	if err != nil {
		stopTyping()
		b.reply(last, err.Error())
		return
	}
	if ok, notice := b.admit(surface, first.Author.ID); !ok {
		stopTyping()
		if notice != "" {
			b.reply(last, notice)
		}
		return
	}
	startTyping()
	conv := b.conversationOf(b.work, first)
	out := &messageOutput{b: b, m: last, stopTyping: stopTyping}
	if b.opts.Threads && conv == convChannel {
		out.thread = threadName(qtext)
	}
	b.answer(question{id: last.ID, surface: surface, user: first.Author.ID, received: c.received,
		req: answer.Request{Question: qtext, History: b.conversationHistory(b.work, conv, first)}, out: out})
}

// conversation kinds, by where a question was asked.
type conversation int

const (
	convChannel conversation = iota // a mention in a channel: no history
	convReply                       // a reply: the reply chain
	convThread                      // in a thread: the thread
	convDM                          // in a DM: the recent DM messages
)

func (b *Bot) conversationOf(ctx context.Context, m *discordgo.Message) conversation {
	switch {
	case m.MessageReference != nil && m.MessageReference.MessageID != "":
		return convReply
	case m.GuildID == "":
		return convDM
	}
	if ci, ok := b.channelInfo(ctx, m.ChannelID); ok && ci.thread {
		return convThread
	}
	return convChannel
}

// conversationHistory returns the earlier turns of m's conversation, oldest
// first, with the subject tracked over all of them and at most HistoryHops
// kept.
func (b *Bot) conversationHistory(ctx context.Context, conv conversation, m *discordgo.Message) []answer.Turn {
	var msgs []*discordgo.Message
	switch conv {
	case convReply:
		msgs = b.replyChain(ctx, m)
	case convThread:
		msgs = b.threadMessages(ctx, m)
	case convDM:
		msgs = b.dmMessages(ctx, m)
	}
	turns := answer.TrackSubject(b.turnsFrom(msgs))
	if len(turns) > b.opts.HistoryHops {
		turns = turns[len(turns)-b.opts.HistoryHops:]
	}
	return turns
}

// replyChain reads the reply chain above m (at most HistoryHops messages),
// oldest first.
func (b *Bot) replyChain(ctx context.Context, m *discordgo.Message) []*discordgo.Message {
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
	slices.Reverse(chain)
	return chain
}

// threadMessages reads the thread's messages before m, oldest first,
// after the message the thread was started from (which has the thread's
// ID and lives in the parent channel).
func (b *Bot) threadMessages(ctx context.Context, m *discordgo.Message) []*discordgo.Message {
	msgs, err := b.s.ChannelMessages(m.ChannelID, historyFetch, m.ID, "", "", discordgo.WithContext(ctx))
	if err != nil {
		b.log.Debug("reading a thread's history", "channel", m.ChannelID, "err", err)
	}
	msgs = olderThan(msgs, m.ID)
	slices.Reverse(msgs) // Discord lists newest first
	if ci, ok := b.channelInfo(ctx, m.ChannelID); ok && ci.parent != "" {
		if start, err := b.s.ChannelMessage(ci.parent, m.ChannelID, discordgo.WithContext(ctx)); err == nil {
			msgs = append([]*discordgo.Message{start}, msgs...)
		}
	}
	return msgs
}

// dmMessages reads the DM's messages before m back to the first pause
// longer than ConversationIdle, oldest first: a question a day later starts
// afresh.
func (b *Bot) dmMessages(ctx context.Context, m *discordgo.Message) []*discordgo.Message {
	msgs, err := b.s.ChannelMessages(m.ChannelID, historyFetch, m.ID, "", "", discordgo.WithContext(ctx))
	if err != nil {
		b.log.Debug("reading a DM's history", "channel", m.ChannelID, "err", err)
		return nil
	}
	msgs = olderThan(msgs, m.ID)
	// msgs is newest first: keep messages while no gap is too long.
	after := m.Timestamp
	keep := 0
	for _, x := range msgs {
		if !after.IsZero() && !x.Timestamp.IsZero() && after.Sub(x.Timestamp) > b.opts.ConversationIdle {
			break
		}
		after = x.Timestamp
		keep++
	}
	msgs = msgs[:keep]
	slices.Reverse(msgs)
	return msgs
}

// olderThan keeps the messages sent before message id (snowflakes grow
// with time), in case a listing includes the question or later messages.
func olderThan(msgs []*discordgo.Message, id string) []*discordgo.Message {
	return slices.DeleteFunc(msgs, func(x *discordgo.Message) bool {
		return x == nil || len(x.ID) > len(id) || len(x.ID) == len(id) && x.ID >= id
	})
}

// turnsFrom pairs the bot's finished answers in msgs (oldest first) with
// their questions. An answer is one or more consecutive bot messages
// ending in the feedback buttons; its question is its embed title, or the
// user's message before it for plain answers. Previews, notices and hints
// carry no buttons and are not turns.
func (b *Bot) turnsFrom(msgs []*discordgo.Message) []answer.Turn {
	me := b.botUserID()
	var turns []answer.Turn
	var cur *answer.Turn
	done := false
	asked := ""
	flush := func() {
		if cur != nil && done && cur.Question != "" && cur.Answer != "" {
			turns = append(turns, *cur)
			asked = ""
		}
		cur, done = nil, false
	}
	for _, m := range msgs {
		if m == nil || m.Author == nil {
			continue
		}
		if m.Author.ID != me {
			flush()
			if t := stripMentions(m.Content); t != "" {
				asked = t
			}
			continue
		}
		title, text := answerText(m)
		if title != "" || cur == nil || done {
			flush()
			q := title
			if q == "" {
				q = asked
			}
			cur = &answer.Turn{Question: q}
		}
		if text != "" {
			if cur.Answer != "" {
				cur.Answer += "\n"
			}
			cur.Answer += text
		}
		if hasFeedback(m) {
			done = true
		}
	}
	flush()
	return turns
}

// answerText is the question (embed title) and the text of one of the
// bot's answer messages.
func answerText(m *discordgo.Message) (title, text string) {
	var texts []string
	for _, e := range m.Embeds {
		if title == "" && e.Title != "" {
			title = unescape(e.Title)
		}
		if e.Description != "" {
			texts = append(texts, unescape(e.Description))
		}
	}
	if len(texts) == 0 && strings.TrimSpace(m.Content) != "" {
		texts = []string{m.Content}
	}
	return title, strings.Join(texts, "\n")
}

// hasFeedback reports whether m carries the 👍/👎 buttons of a final answer.
func hasFeedback(m *discordgo.Message) bool {
	// Decoded messages hold pointers; messages built here hold values.
	for _, row := range m.Components {
		var cs []discordgo.MessageComponent
		switch r := row.(type) {
		case *discordgo.ActionsRow:
			cs = r.Components
		case discordgo.ActionsRow:
			cs = r.Components
		}
		for _, c := range cs {
			id := ""
			switch btn := c.(type) {
			case *discordgo.Button:
				id = btn.CustomID
			case discordgo.Button:
				id = btn.CustomID
			}
			if strings.HasPrefix(id, idFeedback+":") {
				return true
			}
		}
	}
	return false
}

// messageAllowed applies TALKBOT_ALLOWED_CHANNELS to m; a thread counts as
// its parent channel.
func (b *Bot) messageAllowed(ctx context.Context, m *discordgo.Message) bool {
	if b.channelAllowed(m.ChannelID, m.GuildID) {
		return true
	}
	ci, ok := b.channelInfo(ctx, m.ChannelID)
	return ok && ci.thread && b.channelAllowed(ci.parent, m.GuildID)
}

// threadName names an answer's thread after its question.
func threadName(q string) string {
	name := truncate(oneLine(q), maxThreadName)
	if name == "" {
		name = "Follow-ups"
	}
	return name
}

// openThread starts a public thread on the bot's answer msg, where
// mentions continue the conversation.
func (b *Bot) openThread(ctx context.Context, msg *discordgo.Message, name string) {
	var th *discordgo.Channel
	err := b.paced(ctx, msg.ChannelID, func() error {
		var err error
		th, err = b.s.MessageThreadStartComplex(msg.ChannelID, msg.ID, &discordgo.ThreadStart{Name: name,
			AutoArchiveDuration: threadArchive}, discordgo.WithContext(ctx))
		return err
	})
	if err != nil {
		b.log.Warn("opening a thread for follow-ups (does the bot have Create Public Threads here?)", "channel", msg.ChannelID, "err", err)
		return
	}
	b.rememberChannel(th.ID, chanInfo{thread: true, parent: msg.ChannelID, owner: b.botUserID()})
	b.log.Debug("opened a thread for follow-ups", "thread", th.ID, "channel", msg.ChannelID)
}

// chanInfo is what the bot needs to know of a channel.
type chanInfo struct {
	thread        bool
	parent, owner string
}

// maxKnownChannels bounds the channel cache; it is cleared when full
// (channels are looked up again on demand).
const maxKnownChannels = 4096

// knownChannel looks a channel up without waiting: the bot's cache, then
// discordgo's state (filled by THREAD_CREATE and GUILD_CREATE).
func (b *Bot) knownChannel(id string) (chanInfo, bool) {
	b.chanMu.Lock()
	ci, ok := b.chans[id]
	b.chanMu.Unlock()
	if ok {
		return ci, true
	}
	if b.s.State != nil {
		if ch, err := b.s.State.Channel(id); err == nil {
			ci = chanInfo{thread: ch.IsThread(), parent: ch.ParentID, owner: ch.OwnerID}
			b.rememberChannel(id, ci)
			return ci, true
		}
	}
	return chanInfo{}, false
}

// channelInfo is knownChannel, asking Discord (GET channel) if need be.
func (b *Bot) channelInfo(ctx context.Context, id string) (chanInfo, bool) {
	if ci, ok := b.knownChannel(id); ok {
		return ci, true
	}
	ch, err := b.s.Channel(id, discordgo.WithContext(ctx))
	if err != nil {
		b.log.Debug("looking up a channel", "channel", id, "err", err)
		return chanInfo{}, false
	}
	ci := chanInfo{thread: ch.IsThread(), parent: ch.ParentID, owner: ch.OwnerID}
	b.rememberChannel(id, ci)
	return ci, true
}

func (b *Bot) rememberChannel(id string, ci chanInfo) {
	b.chanMu.Lock()
	defer b.chanMu.Unlock()
	if len(b.chans) >= maxKnownChannels {
		clear(b.chans)
	}
	b.chans[id] = ci
}

// chains joins back-to-back messages from one user in one channel into one
// question.
type chains struct {
	mu      sync.Mutex
	pending map[string]*chain // channel/user → the chain still open
}

// chain is one question being typed over several messages.
type chain struct {
	// head and received (when head arrived) never change; the rest is
	// guarded by chains.mu.
	head     *discordgo.Message
	received time.Time
	msgs     []*discordgo.Message
	texts    []string
	more     chan struct{} // signalled when a message joins
}

func (c *chain) first() *discordgo.Message { return c.head }

// add puts m into the open chain for key, or starts one (started: the
// caller answers it).
func (cs *chains) add(key string, m *discordgo.Message, text string, received time.Time) (c *chain, started bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if c := cs.pending[key]; c != nil && len(c.msgs) < maxChainParts {
		c.msgs = append(c.msgs, m)
		c.texts = append(c.texts, text)
		select {
		case c.more <- struct{}{}:
		default:
		}
		return c, false
	}
	c = &chain{head: m, received: received, msgs: []*discordgo.Message{m}, texts: []string{text}, more: make(chan struct{}, 1)}
	cs.pending[key] = c
	return c, true
}

// wait returns c's messages once none has joined for window (at most four
// windows after it started, so a chatty user still gets an answer), and
// closes c to further messages.
func (cs *chains) wait(ctx context.Context, key string, c *chain, window time.Duration) ([]*discordgo.Message, []string) {
	if window > 0 {
		limit := time.NewTimer(4 * window)
		defer limit.Stop()
	loop:
		for {
			quiet := time.NewTimer(window)
			select {
			case <-c.more:
				quiet.Stop()
				continue
			case <-quiet.C:
			case <-limit.C:
				quiet.Stop()
			case <-ctx.Done():
				quiet.Stop()
			}
			break loop
		}
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.pending[key] == c {
		delete(cs.pending, key)
	}
	return slices.Clone(c.msgs), slices.Clone(c.texts)
}
