// Command talkbot answers questions about news articles with cited passages,
// from the command line or as a Discord bot.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/talkbot/talkbot/answer"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// usageError marks mistakes in how the command was called (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// commands is the CLI's table; each command lives in its own file.
func commands() map[string]command {
	return map[string]command{
		"ask":     {"answer a question from the articles, with citations", cmdAsk},
		"sources": {"list the articles in the index", cmdSources},
		"eval":    {"score retrieval and answers on the built-in question set", cmdEval},
		"serve":   {"run the Discord bot", cmdServe},
		"ingest":  {"add articles (.txt, .md, .html) to the persistent index", cmdIngest},
		"bench":   {"measure search speed against baselines", cmdBench},
		"report":  {"show unanswered questions, disliked answers and latency from the question log", cmdReport},
		"reindex": {"embed stored passages that lack vectors from the configured embedder", cmdReindex},
	}
}

var commandOrder = [...]string{"ask", "sources", "ingest", "reindex", "serve", "report", "eval", "bench"}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(stderr, "talkbot:", ue.msg)
		return 2
	}
	fmt.Fprintln(stderr, "talkbot:", err)
	return 1
}

// run is the whole program; tests call it in-process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runEnv(ctx, args, &env{stdout: stdout, stderr: stderr, getenv: os.Getenv})
}

func runEnv(ctx context.Context, args []string, e *env) error {
	if len(args) == 0 {
		printUsage(e.stderr)
		return usagef("no command given; try: talkbot ask \"How long did Witkoff meet Putin?\"")
	}
	name := args[0]
	switch name {
	case "-h", "--help", "help":
		if name == "help" && len(args) > 1 {
			// "talkbot help ask" is "talkbot ask --help".
			cmd, ok := commands()[args[1]]
			if !ok {
				return usagef("unknown command %q; run talkbot --help for the list", args[1])
			}
			return cmd.run(ctx, e, []string{"--help"})
		}
		printUsage(e.stdout)
		return nil
	}
	cmd, ok := commands()[name]
	if !ok {
		return usagef("unknown command %q; run talkbot --help for the list", name)
	}
	if name == "ask" || name == "serve" || name == "eval" {
		// The answerers' word table loads on the second core while the
		// index is built, not after it (≈15 ms of a ~60 ms ask).
		go answer.Prewarm()
	}
	return cmd.run(ctx, e, args[1:])
}

// flagUsage sets up a command's help. Asked for (--help), it goes to
// stdout and the command exits 0, like the top-level help; after a flag
// error it goes to stderr under the error. The flag package prints the
// error to the FlagSet's output just before calling Usage, which is how
// the two are told apart. A command without flags shows no "Flags:".
func flagUsage(e *env, fs *flag.FlagSet, usage string) {
	errOut := &countingWriter{w: e.stderr}
	fs.SetOutput(errOut)
	fs.Usage = func() {
		w := e.stdout
		if errOut.n > 0 {
			w = e.stderr
		}
		fmt.Fprintf(w, "Usage: talkbot %s\n", usage)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintf(w, "\nFlags:\n")
			fs.SetOutput(w)
			fs.PrintDefaults()
			fs.SetOutput(errOut)
		}
	}
}

// countingWriter counts what passes through it.
type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "talkbot answers questions about news articles, citing the passages it used.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: talkbot <command> [flags] [arguments]")
	fmt.Fprintln(w)
	cmds := commands()
	for _, n := range commandOrder {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run talkbot <command> --help for a command's flags. Configuration is read from the")
	fmt.Fprintln(w, "environment (TALKBOT_DATA_DIR, OPENAI_BASE_URL, TALKBOT_CHAT_MODEL, DISCORD_TOKEN, ...): see README.md.")
}

// jsonUsageError keeps ask --json's promise of exactly one JSON object on
// stdout when the question or the configuration is refused: it prints
// {"error": ..., "question": ...} there, and returns err unchanged so the
// exit code (2) and the one stderr line are those of the text mode.
func jsonUsageError(e *env, asJSON bool, question string, err error) error {
	if !asJSON {
		return err
	}
	out := struct {
		Error    string `json:"error"`
		Question string `json:"question"`
	}{err.Error(), question}
	if werr := writeJSON(e.stdout, out); werr != nil {
		return errors.Join(err, werr)
	}
	return err
}
