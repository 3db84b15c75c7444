package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/config"
	"github.com/talkbot/talkbot/retrieval"
	"github.com/talkbot/talkbot/retrieval/store"
	"github.com/talkbot/talkbot/seeds"
)

// env is what a command runs with: its streams and environment.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

// config reads and validates the environment.
func (e *env) config() (config.Config, error) {
	c, err := config.Load(e.getenv)
	if err != nil {
		return c, usagef("configuration: %v", err)
	}
	return c, nil
}

// logger writes structured logs to stderr at the configured level.
func (e *env) logger(c config.Config) *slog.Logger {
	lvl := slog.LevelWarn
	switch c.LogLevel {
	case "debug":
		lvl = slog.LevelDebug
	case "info":
		lvl = slog.LevelInfo
	case "error":
		lvl = slog.LevelError
	}
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: lvl}))
}

// flagSet makes a FlagSet whose errors go to stderr and whose --help goes
// to stdout (see flagUsage).
func (e *env) flagSet(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	flagUsage(e, fs, usage)
	return fs
}

// parseFlags parses flags anywhere among the arguments ("ask 'q' --json"),
// returning the positional ones. --help is reported as errHelp.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// parseNoArgs parses the flags of a command that takes no arguments;
// helped is true when --help was shown (the command then ends with exit 0).
func parseNoArgs(fs *flag.FlagSet, args []string, extra string) (helped bool, err error) {
	pos, err := parseFlags(fs, args)
	switch {
	case errors.Is(err, errHelp):
		return true, nil
	case err != nil:
		return false, err
	case len(pos) > 0:
		return false, usagef("%s", extra)
	}
	return false, nil
}

// errHelp ends a command after its help was printed (exit 0).
var errHelp = errors.New("help shown")

// stack is the built question-answering pipeline.
type stack struct {
	cfg    config.Config
	log    *slog.Logger
	index  *retrieval.Index
	engine *answer.Engine
	closeF []func()
}

func (s *stack) Close() {
	for i := len(s.closeF) - 1; i >= 0; i-- {
		s.closeF[i]()
	}
}

type stackOptions struct {
	offline bool // no LLM even if configured
}

// openStack builds the index (seeds plus anything ingested) and the answer
// engine from configuration.
func (e *env) openStack(ctx context.Context, cfg config.Config, o stackOptions) (*stack, error) {
	log := e.logger(cfg)
	emb, err := newEmbedder(cfg, log)
	if err != nil {
		return nil, err
	}
	dir, err := storeDir(cfg)
	if err != nil {
		return nil, err
	}
	// Readers never write: ask, sources and serve open the store read-only
	// and keep the built-in articles in memory beside it.
	ix, err := retrieval.Open(ctx, retrieval.Options{Dir: dir, Embedder: emb, Logger: log, ReadOnly: true})
	if err != nil && dir != "" {
		// Questions can still be answered from the built-in articles.
		fmt.Fprintf(e.stderr, "talkbot: warning: %v; answering from the built-in articles only\n", err)
		ix, err = retrieval.Open(ctx, retrieval.Options{Embedder: emb, Logger: log})
	}
	if err != nil {
		return nil, fmt.Errorf("opening the index: %w", err)
	}
	s := &stack{cfg: cfg, log: log, index: ix, engine: &answer.Engine{Index: ix, Logger: log}}
	s.closeF = append(s.closeF, func() { ix.Close() })
	docs, err := seeds.Documents()
	if err != nil {
		s.Close()
		return nil, err
	}
	st, err := ix.AddBuiltin(ctx, docs...)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("indexing the built-in articles: %w", err)
	}
	if st.EmbedErr != nil {
		fmt.Fprintf(e.stderr, "talkbot: note: could not embed the built-in articles (%v); answering by keywords — check %s and %s\n",
			oneLine(st.EmbedErr.Error()), config.EnvOpenAIBaseURL, config.EnvEmbedModel)
	}
	if !o.offline && cfg.LLMEnabled() {
		gen, err := newGenerator(cfg, log)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.engine.LLM = gen
	}
	return s, nil
}

// storeDir is where the index persists: TALKBOT_DATA_DIR when set, else the
// per-user data directory if something was ingested there, else nowhere
// (the built-in articles index in memory in milliseconds).
func storeDir(cfg config.Config) (string, error) {
	dir, err := cfg.ResolvedDataDir()
	if err != nil {
		return "", err
	}
	if cfg.DataDirSet {
		return dir, nil
	}
	// The store, or a store in the old layout that Open imports.
	for _, name := range []string{store.FileName, "manifest.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return dir, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("checking data directory %s (set %s to choose another): %w", dir, config.EnvDataDir, err)
		}
	}
	return "", nil
}

// oneLine flattens text for table cells.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
