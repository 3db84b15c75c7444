package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/config"
)

// cmdServe runs the Discord bot until the context ends (SIGINT/SIGTERM in
// main), then shuts it down gracefully.
func cmdServe(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("serve", "serve")
	if helped, err := parseNoArgs(fs, args, "serve takes no arguments; configure it with environment variables (see README.md)"); helped || err != nil {
		return err
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	if cfg.DiscordToken == "" {
		return usagef("%s is not set: get a bot token in the Discord Developer Portal "+
			"(https://discord.com/developers/applications → your application → Bot → Reset Token) and export %s=<token>",
			config.EnvDiscordToken, config.EnvDiscordToken)
	}
	// Health and metrics come up first so that /readyz says "not ready"
	// while the index loads, instead of refusing connections.
	o := newOps()
	var indexLoaded atomic.Bool
	o.readyWhen("index", indexLoaded.Load)
	if cfg.HTTPAddr != "" {
		if _, err := o.serve(ctx, cfg.HTTPAddr, e.logger(cfg)); err != nil {
			return err
		}
	}
	st, err := e.openStack(ctx, cfg, stackOptions{})
	if err != nil {
		return err
	}
	defer st.Close()
	// Loading a big store leaves garbage the size of its rows; hand it
	// back now rather than holding it for the life of the server.
	debug.FreeOSMemory()
	indexLoaded.Store(true)
	ql, closeQL := openQuestionLog(ctx, e, cfg, st.log)
	defer closeQL()
	// Articles ingested by another process appear without a restart.
	wctx, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		// A cheap read of the change counter each second: a new article
		// is answered within about a second plus the time to read it.
		_ = st.index.Watch(wctx, time.Second)
	}()
	defer func() { stopWatch(); <-watched }()

	b, err := bot.New(st.engine, st.index, bot.Options{
		Token: cfg.DiscordToken, APIURL: cfg.DiscordAPIURL, GuildID: cfg.DiscordGuildID,
		AllowedChannels: cfg.AllowedChannels, UserRateLimit: cfg.UserRateLimit, RateWindow: cfg.RateWindow,
		MaxConcurrent: cfg.MaxConcurrent, MaxQueue: queueSize(cfg.MaxQueue),
		Threads: cfg.Threads, MessageContent: cfg.MessageContent, ShardID: cfg.ShardID, ShardCount: cfg.ShardCount,
		Logger: st.log, Observer: opsObserver{o}, QuestionLog: ql,
		OnConnected: func(id string) {
			fmt.Fprintf(e.stderr, "talkbot: connected to Discord as user %s with %d articles; Ctrl-C stops\n", id, len(st.index.Sources()))
		},
	})
	if err != nil {
		return err
	}
	o.readyWhen("discord", b.Ready)
	if err := b.Run(ctx); err != nil {
		return err
	}
	fmt.Fprintln(e.stderr, "talkbot: stopped")
	return nil
}

// queueSize maps TALKBOT_MAX_QUEUE (0 = no queue) onto bot.Options (0 =
// default, negative = none).
func queueSize(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// opsObserver feeds the bot's events into the Prometheus metrics.
type opsObserver struct{ o *ops }

func (a opsObserver) Answered(surface string, ans answer.Answer, err error, took time.Duration) {
	a.o.observe(surface, ans, err, took)
}

func (a opsObserver) Refused(surface, _ string) { a.o.rateLimited(surface) }

func (a opsObserver) Feedback(vote string) { a.o.vote(vote) }
