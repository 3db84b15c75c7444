// Package bot puts talkbot's cited answers into Discord: slash commands,
// mentions, DMs, and follow-ups in reply chains, threads and DMs, rendered
// as embeds within Discord's limits, with rate limits, a per-channel write
// budget, a bounded queue, sharding and graceful shutdown.
//
// The bot only renders answers: it reaches the articles and the answer
// pipeline through the small interfaces it declares here ([Answerer],
// [Library]), which *answer.Engine and *retrieval.Index satisfy.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/retrieval"
)

// Answerer answers a question; *answer.Engine is one. onDelta receives text
// as an LLM writes it (it is not called for extractive answers).
type Answerer interface {
	AskStream(ctx context.Context, req answer.Request, onDelta func(string)) (answer.Answer, error)
}

// Library lists and shows the articles; *retrieval.Index is one.
type Library interface {
	Sources() []retrieval.Source
	Document(id string) (retrieval.Document, bool)
}

// Surfaces a question can come from, as reported to the Observer.
const (
	SurfaceSlash   = "slash"
	SurfaceMention = "mention"
	SurfaceDM      = "dm"
	// SurfaceThread is a question asked inside a thread, where the
	// thread's messages are the conversation.
	SurfaceThread = "thread"
)

// Reasons a question is refused before it is answered.
const (
	RefusedRateLimited = "rate_limited"
	RefusedBusy        = "busy"
	RefusedShutdown    = "shutting_down"
)

// Observer is told about questions and feedback, e.g. to export Prometheus
// metrics. Methods are called from many goroutines and must not block.
type Observer interface {
	// Answered reports a finished question: its answer, or the error that
	// stopped it, and the time from the event to the final message.
	Answered(surface string, a answer.Answer, err error, took time.Duration)
	// Refused reports a question turned away (a Refused* reason).
	Refused(surface, reason string)
	// Feedback reports a 👍 ("up") or 👎 ("down") click.
	Feedback(vote string)
}

// Options configure a Bot. Zero values take the defaults noted.
type Options struct {
	// Session, if set, is used as is (not yet opened); otherwise one is
	// built from Token and APIURL with NewSession.
	Session *discordgo.Session
	Token   string
	// APIURL is the REST base (default DefaultAPIURL).
	APIURL string
	// GuildID registers the commands on one guild (instant) instead of
	// globally.
	GuildID string
	// AllowedChannels, if not empty, are the only guild channels the bot
	// answers in; DMs are always answered.
	AllowedChannels []string
	// UserRateLimit questions per RateWindow per user (default 5 per minute).
	UserRateLimit int
	RateWindow    time.Duration
	// MaxConcurrent answers at once (default 4), MaxQueue more may wait
	// (default 64; 0 means default, negative means none).
	MaxConcurrent int
	MaxQueue      int
	// ShutdownTimeout bounds how long shutdown waits for answers in flight
	// (default 20 s).
	ShutdownTimeout time.Duration
	// AnswerTimeout bounds one answer (default 2 min).
	AnswerTimeout time.Duration
	// StreamInterval is the least time between edits while an LLM answer
	// streams (default 1 s, Discord's comfortable edit rate).
	StreamInterval time.Duration
	// HistoryHops bounds how many messages of a reply chain are read as
	// conversation history, and how many earlier turns of a thread or DM
	// are passed on (default 5).
	HistoryHops int

	// Threads opens a public thread on each answer to a mention in a
	// channel, where mentions continue the conversation (needs the Create
	// Public Threads permission).
	Threads bool
	// MessageContent requests the privileged Message Content intent
	// (enable it in the Developer Portal first), so replies that do not
	// ping the bot, and plain messages in the threads it opened, are read
	// and answered.
	MessageContent bool
	// ChainWindow: back-to-back messages from one user in one channel,
	// each within this of the last, are one question (default 1.5 s;
	// negative: every message is its own question).
	ChainWindow time.Duration
	// ConversationIdle: a DM's earlier messages count as history back to
	// the first pause longer than this (default 30 min).
	ConversationIdle time.Duration
	// ChannelBudget messages written (posts, edits, thread starts) per
	// ChannelWindow in one channel, shared by all answers there (default 5
	// per 5 s, Discord's usual per-channel bucket).
	ChannelBudget int
	ChannelWindow time.Duration
	// ShardID and ShardCount run this process as one shard of a large bot
	// (ShardCount 0 or 1: no sharding; negative: the count Discord
	// recommends, from GET gateway/bot). Only shard 0 registers the
	// commands and receives DMs.
	ShardID    int
	ShardCount int

	Logger   *slog.Logger
	Observer Observer
	// QuestionLog, if set, records each question and vote (see QuestionLog).
	QuestionLog QuestionLog
	// OnConnected, if set, is called once the gateway is connected and the
	// commands are registered, e.g. to tell the operator.
	OnConnected func(botUserID string)
}

// Stats are the bot's in-process counters.
type Stats struct {
	Questions    int64 // questions taken (answered, not found or failed)
	Answered     int64
	NotFound     int64
	Errors       int64
	RateLimited  int64
	Busy         int64
	FeedbackUp   int64
	FeedbackDown int64
	InFlight     int // answers running or queued now
}

// Bot is a running Discord bot. Create it with New and start it with Run.
type Bot struct {
	ans  Answerer
	lib  Library
	opts Options
	log  *slog.Logger
	s    *discordgo.Session

	limiter *rateLimiter
	gate    *gate
	pacer   *pacer  // per-channel write budget
	hints   *hinter // the reply hint, once per user per hour
	chains  *chains // back-to-back messages being joined
	chanMu  sync.Mutex
	chans   map[string]chanInfo // channels looked up (threads and their parents)
	running tracker             // handler goroutines

	// work outlives the Run context by the shutdown deadline, so answers
	// in flight can finish after SIGTERM.
	work       context.Context
	cancelWork context.CancelFunc

	connected atomic.Bool
	botID     atomic.Value // string
	appID     atomic.Value // string
	allowed   map[string]bool

	counters struct {
		questions, answered, notFound, errors, rateLimited, busy, up, down atomic.Int64
	}
	votesMu sync.Mutex
	votes   map[string]string // answer id + user → vote, to count each user once
}

// New builds a bot over the answer pipeline and article library.
func New(ans Answerer, lib Library, o Options) (*Bot, error) {
	if ans == nil || lib == nil {
		return nil, errors.New("bot: an Answerer and a Library are required")
	}
	if o.Session == nil {
		s, err := NewSession(o.Token, o.APIURL)
		if err != nil {
			return nil, err
		}
		o.Session = s
	}
	if o.UserRateLimit <= 0 {
		o.UserRateLimit = 5
	}
	if o.RateWindow <= 0 {
		o.RateWindow = time.Minute
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 4
	}
	switch {
	case o.MaxQueue == 0:
		o.MaxQueue = 64
	case o.MaxQueue < 0:
		o.MaxQueue = 0
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 20 * time.Second
	}
	if o.AnswerTimeout <= 0 {
		o.AnswerTimeout = 2 * time.Minute
	}
	if o.StreamInterval <= 0 {
		o.StreamInterval = time.Second
	}
	if o.HistoryHops <= 0 {
		o.HistoryHops = 5
	}
	switch {
	case o.ChainWindow == 0:
		o.ChainWindow = 1500 * time.Millisecond
	case o.ChainWindow < 0:
		o.ChainWindow = 0
	}
	if o.ConversationIdle <= 0 {
		o.ConversationIdle = 30 * time.Minute
	}
	if o.ChannelBudget <= 0 {
		o.ChannelBudget = 5
	}
	if o.ChannelWindow <= 0 {
		o.ChannelWindow = 5 * time.Second
	}
	if o.ShardCount == 0 && o.ShardID != 0 {
		return nil, fmt.Errorf("bot: shard ID %d needs a shard count", o.ShardID)
	}
	if o.ShardCount > 0 && (o.ShardID < 0 || o.ShardID >= o.ShardCount) {
		return nil, fmt.Errorf("bot: shard %d is outside 0–%d: the shard ID must be below the shard count", o.ShardID, o.ShardCount-1)
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Bot{ans: ans, lib: lib, opts: o, log: log.With("component", "discord"), s: o.Session,
		limiter: newRateLimiter(o.UserRateLimit, o.RateWindow),
		gate:    newGate(o.MaxConcurrent, o.MaxQueue),
		pacer:   newPacer(o.ChannelBudget, o.ChannelWindow),
		hints:   newHinter(hintEvery),
		chains:  &chains{pending: map[string]*chain{}},
		chans:   map[string]chanInfo{},
		allowed: map[string]bool{}, votes: map[string]string{}}
	for _, c := range o.AllowedChannels {
		b.allowed[c] = true
	}
	b.botID.Store("")
	b.appID.Store("")
	b.work, b.cancelWork = context.WithCancel(context.Background())

	s := b.s
	if s.LogLevel > discordgo.LogWarning {
		// Debug logging would print the IDENTIFY packet with the token.
		s.LogLevel = discordgo.LogWarning
	}
	// Without the privileged Message Content intent mentions and DMs still
	// carry their text; with it, so do replies that do not ping the bot.
	s.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages
	if o.MessageContent {
		s.Identify.Intents |= discordgo.IntentsMessageContent
	}
	s.ShouldReconnectOnError = true
	// Handlers run in order on the gateway goroutine, so connect and
	// disconnect are seen in order; each does little and hands real work
	// to a goroutine of its own.
	s.SyncEvents = true
	s.AddHandler(b.onReady)
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Connect) { b.connected.Store(true) })
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Disconnect) { b.connected.Store(false) })
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Resumed) { b.connected.Store(true) })
	s.AddHandler(b.onInteraction)
	s.AddHandler(b.onMessage)
	return b, nil
}

// Ready reports whether the gateway is connected.
func (b *Bot) Ready() bool { return b.connected.Load() }

// Stats returns the counters so far.
func (b *Bot) Stats() Stats {
	c := &b.counters
	return Stats{Questions: c.questions.Load(), Answered: c.answered.Load(), NotFound: c.notFound.Load(),
		Errors: c.errors.Load(), RateLimited: c.rateLimited.Load(), Busy: c.busy.Load(),
		FeedbackUp: c.up.Load(), FeedbackDown: c.down.Load(), InFlight: b.gate.load()}
}

// Run connects to the gateway, registers the slash commands with one bulk
// overwrite, and answers until ctx ends. Then it stops taking questions,
// lets answers in flight finish within ShutdownTimeout, and closes the
// gateway.
func (b *Bot) Run(ctx context.Context) error {
	defer b.cancelWork()
	if err := b.setupShard(ctx); err != nil {
		return err
	}
	if err := b.s.Open(); err != nil {
		b.stopReconnecting()
		return fmt.Errorf("connecting to the Discord gateway: %w", whereItWent(err))
	}
	b.log.Info("connected to Discord", "bot_user", b.botID.Load(), "application", b.appID.Load())
	// One bulk overwrite is enough: with several shards only the first
	// registers the commands.
	if b.s.ShardID == 0 {
		if err := b.registerCommands(ctx); err != nil {
			b.closeGateway()
			if ctx.Err() != nil {
				return nil // stopped while starting: a shutdown, not a failure
			}
			return err
		}
	}
	if b.opts.OnConnected != nil {
		b.opts.OnConnected(b.botUserID())
	}
	<-ctx.Done()
	b.shutdown()
	return nil
}

// setupShard makes this session one shard of the bot, asking Discord for
// the recommended shard count when told to.
func (b *Bot) setupShard(ctx context.Context) error {
	id, count := b.opts.ShardID, b.opts.ShardCount
	if count < 0 {
		gb, err := b.s.GatewayBot(discordgo.WithContext(ctx))
		if err != nil {
			return fmt.Errorf("asking Discord for the recommended shard count (GET gateway/bot); set the shard count yourself to skip this: %w", err)
		}
		count = max(gb.Shards, 1)
		if id >= count {
			return fmt.Errorf("shard ID %d is not below the %d shards Discord recommends: start %d processes with shard IDs 0 to %d, or set the shard count yourself",
				id, count, count, count-1)
		}
	}
	if count <= 1 {
		return nil
	}
	b.s.ShardID, b.s.ShardCount = id, count
	b.log.Info("running as one shard", "shard", id, "shards", count)
	return nil
}

// shutdown drains: refuse new questions, wait for answers in flight (up to
// the deadline, then cancel them), close the gateway.
func (b *Bot) shutdown() {
	start := time.Now()
	b.gate.close()
	b.log.Info("shutting down: finishing answers in flight", "in_flight", b.gate.load(), "deadline", b.opts.ShutdownTimeout)
	dctx, cancel := context.WithTimeout(context.Background(), b.opts.ShutdownTimeout)
	err := b.running.wait(dctx)
	cancel()
	if err != nil {
		b.log.Warn("shutdown deadline passed; cancelling answers still running", "in_flight", b.gate.load())
		b.cancelWork()
		// Cancelled answers post their error notice quickly; do not wait long.
		gctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_ = b.running.wait(gctx)
		cancel()
	}
	b.closeGateway()
	b.log.Info("disconnected from Discord", "took", time.Since(start).Round(time.Millisecond))
}

// stopReconnecting keeps discordgo from reopening a socket we close.
func (b *Bot) stopReconnecting() {
	b.s.Lock()
	b.s.ShouldReconnectOnError = false
	b.s.Unlock()
}

func (b *Bot) closeGateway() {
	b.stopReconnecting()
	if err := b.s.Close(); err != nil {
		b.log.Warn("closing the gateway", "err", err)
	}
	b.connected.Store(false)
}

func (b *Bot) onReady(_ *discordgo.Session, r *discordgo.Ready) {
	if r.User != nil {
		b.botID.Store(r.User.ID)
	}
	if r.Application != nil {
		b.appID.Store(r.Application.ID)
	}
	b.connected.Store(true)
}

func (b *Bot) botUserID() string { return b.botID.Load().(string) }

// spawn runs f on its own goroutine, tracked for shutdown. A panic in a
// handler is logged, not fatal: one bad event must not stop the bot.
func (b *Bot) spawn(what string, f func()) {
	b.running.add()
	go func() {
		defer b.running.done()
		defer func() {
			if r := recover(); r != nil {
				b.log.Error("handler panicked", "handler", what, "panic", fmt.Sprint(r))
			}
		}()
		f()
	}()
}

// channelAllowed applies TALKBOT_ALLOWED_CHANNELS to guild channels.
func (b *Bot) channelAllowed(channelID, guildID string) bool {
	return guildID == "" || len(b.allowed) == 0 || b.allowed[channelID]
}

// allowedList names the allowed channels as Discord channel links.
func (b *Bot) allowedList() string {
	var out []string
	for _, c := range b.opts.AllowedChannels {
		out = append(out, "<#"+c+">")
	}
	return strings.Join(out, ", ")
}

// redact removes an interaction token from error text: net/http errors
// quote the webhook URL, which carries it.
func redact(s, token string) string {
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, "[token]")
}

// errAttr logs an error without secrets.
func errAttr(err error, token string) slog.Attr {
	if err == nil {
		return slog.String("err", "")
	}
	return slog.String("err", redact(err.Error(), token))
}
