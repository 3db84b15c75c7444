package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/talkbot/talkbot/bot/discordtest"
	"github.com/talkbot/talkbot/internal/syncbuf"
)

func TestServeWithoutTokenIsUsageError(t *testing.T) {
	t.Parallel()
	start := time.Now()
	_, stderr, code := runCLI(t, map[string]string{"TALKBOT_DATA_DIR": t.TempDir()}, "serve")
	if code != 2 {
		t.Errorf("exit code = %d, want 2", code)
	}
	for _, want := range []string{"DISCORD_TOKEN", "Developer Portal", "Reset Token"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v; a missing token must fail at once", d)
	}
}

// TestServeAgainstFakeDiscord runs the real `talkbot serve` in-process with
// DISCORD_API_URL pointing at a fake Discord: commands registered on the
// guild, a /ask answered with citations, readiness and metrics served, and
// a clean stop when the context ends (as on SIGTERM).
func TestServeAgainstFakeDiscord(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t)
	const token = "serve-test-token.SECRET"
	envv := map[string]string{
		"DISCORD_TOKEN":     token,
		"DISCORD_API_URL":   srv.APIURL(),
		"DISCORD_GUILD_ID":  discordtest.DefaultGuildID,
		"TALKBOT_DATA_DIR":  t.TempDir(),
		"TALKBOT_HTTP_ADDR": "127.0.0.1:0",
		"TALKBOT_LOG_LEVEL": "info",
	}
	var stdout, stderr syncbuf.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- runEnv(ctx, []string{"serve"}, &env{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return envv[k] }})
	}()

	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(stderr.String(), "connected to Discord as user") {
		select {
		case err := <-done:
			t.Fatalf("serve ended early: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not connect:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if cmds := srv.Commands(discordtest.DefaultGuildID); len(cmds) != 4 {
		t.Errorf("%d guild commands registered, want 4", len(cmds))
	}

	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	i := discordtest.SlashCommand("ask", map[string]any{"question": "How long did Witkoff meet Putin?"}, "500000000000000001", "700000000000000001")
	if err := srv.DispatchInteraction(wctx, i); err != nil {
		t.Fatal(err)
	}
	edit, err := srv.WaitRequest(wctx, func(r discordtest.Request) bool {
		return r.Method == "PATCH" && strings.HasSuffix(r.Path, i.Token+"/messages/@original")
	})
	if err != nil {
		t.Fatalf("no answer: %v\n%s", err, stderr.String())
	}
	embeds, _ := edit.Body["embeds"].([]any)
	if len(embeds) != 1 || edit.Status != 200 {
		t.Fatalf("answer = %d %v", edit.Status, edit.Body)
	}
	e, _ := embeds[0].(map[string]any)
	if d, _ := e["description"].(string); !strings.Contains(d, "[1]") {
		t.Errorf("answer lacks citations: %q", d)
	}
	if orig := srv.Original(i.ID); orig == nil || orig.Flags&discordgo.MessageFlagsLoading != 0 {
		t.Errorf("response still loading: %+v", orig)
	}

	m := regexp.MustCompile(`health and metrics listening" addr=(\S+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("no metrics address in the log:\n%s", stderr.String())
	}
	base := "http://" + m[1]
	if code, body := get(t, base+"/readyz"); code != 200 {
		t.Errorf("readyz = %d %s", code, body)
	}
	want := `talkbot_questions_total{mode="extractive",outcome="answered",surface="slash"} 1`
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		_, metrics := get(t, base+"/metrics")
		if strings.Contains(metrics, want) {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Errorf("metrics lack %s", want)
			break
		}
	}

	cancel()
	select {
	case err := <-done:
		if code := exitCode(err, &stderr); code != 0 {
			t.Errorf("serve exited %d after the context ended: %v", code, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop 30 s after the context ended")
	}
	logs := stderr.String()
	t.Logf("stderr:\n%s", logs)
	if !strings.Contains(logs, "talkbot: stopped") {
		t.Errorf("no stop message:\n%s", logs)
	}
	if strings.Contains(logs, token) || strings.Contains(logs, "SECRET") {
		t.Errorf("the token reached stderr:\n%s", logs)
	}
	if stdout.String() != "" {
		t.Errorf("serve wrote to stdout: %q", stdout.String())
	}
}
