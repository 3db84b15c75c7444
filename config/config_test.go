package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoad(t *testing.T) {
	t.Parallel()
	// A path nobody has made: /tmp/tb, as it was, can exist on a shared machine.
	tb := filepath.Join(t.TempDir(), "tb")
	tests := []struct {
		name    string
		env     map[string]string
		errHas  []string // each must be named in the error; empty: no error
		check   func(t *testing.T, c Config)
		noLeaks []string // must not appear in the error
	}{
		{name: "empty environment is the offline default", env: nil, check: func(t *testing.T, c Config) {
			if c.LLMEnabled() || c.DiscordToken != "" || c.HTTPAddr != "" || c.DataDirSet {
				t.Errorf("defaults switched something on: %+v", c)
			}
			if c.LLMTimeout != 30*time.Second || c.UserRateLimit != 5 || c.MaxConcurrent != 4 || c.RateWindow != time.Minute {
				t.Errorf("defaults: %+v", c)
			}
		}},
		{name: "LLM and channels", env: map[string]string{EnvOpenAIBaseURL: "http://localhost:11434/v1", EnvChatModel: "llama3.1",
			EnvAllowedChannels: " 123, 456 ,", EnvLLMTimeout: "5s"}, check: func(t *testing.T, c Config) {
			if !c.LLMEnabled() || c.LLMTimeout != 5*time.Second || len(c.AllowedChannels) != 2 || c.AllowedChannels[1] != "456" {
				t.Errorf("parsed: %+v", c)
			}
		}},
		{name: "bad values are each named", env: map[string]string{EnvLLMTimeout: "soon", EnvUserRateLimit: "-1",
			EnvAllowedChannels: "general", EnvOpenAIBaseURL: "localhost:11434", EnvChatModel: "m", EnvLogLevel: "loud",
			EnvDiscordGuildID: "my-server"},
			errHas: []string{EnvLLMTimeout, EnvUserRateLimit, EnvAllowedChannels, EnvOpenAIBaseURL, EnvLogLevel, EnvDiscordGuildID}},
		{name: "base URL without a model", env: map[string]string{EnvOpenAIBaseURL: "http://localhost:8080/v1"},
			errHas: []string{EnvChatModel}},
		{name: "embed model without a server", env: map[string]string{EnvEmbedModel: "nomic-embed-text"},
			errHas: []string{EnvEmbedModel}},
		{name: "secrets never in errors", env: map[string]string{EnvOpenAIKey: "sk-SECRET", EnvDiscordToken: "tok-SECRET",
			EnvLLMRetries: "many"}, errHas: []string{EnvLLMRetries}, noLeaks: []string{"SECRET"}},
		{name: "default data dir from XDG", env: map[string]string{"XDG_DATA_HOME": "/x", "HOME": "/h"}, check: func(t *testing.T, c Config) {
			if d, err := c.ResolvedDataDir(); err != nil || d != "/x/talkbot" || c.DataDirSet {
				t.Errorf("data dir = %q, %v", d, err)
			}
		}},
		{name: "default data dir from HOME", env: map[string]string{"HOME": "/h"}, check: func(t *testing.T, c Config) {
			if d, _ := c.ResolvedDataDir(); d != "/h/.local/share/talkbot" {
				t.Errorf("data dir = %q", d)
			}
		}},
		{name: "no home: the error names TALKBOT_DATA_DIR", env: nil, check: func(t *testing.T, c Config) {
			if _, err := c.ResolvedDataDir(); err == nil || !strings.Contains(err.Error(), EnvDataDir) {
				t.Errorf("err = %v", err)
			}
		}},
		{name: "threads, message content and shards", env: map[string]string{EnvThreads: "true", EnvMessageContent: "1",
			EnvShardID: "2", EnvShardCount: "4"}, check: func(t *testing.T, c Config) {
			if !c.Threads || !c.MessageContent || c.ShardID != 2 || c.ShardCount != 4 {
				t.Errorf("parsed: %+v", c)
			}
		}},
		{name: "recommended shard count", env: map[string]string{EnvShardID: "1", EnvShardCount: "Auto"}, check: func(t *testing.T, c Config) {
			if c.ShardID != 1 || c.ShardCount != -1 || c.Threads || c.MessageContent {
				t.Errorf("parsed: %+v", c)
			}
		}},
		{name: "shard ID beyond the count", env: map[string]string{EnvShardID: "4", EnvShardCount: "4"}, errHas: []string{EnvShardID, "0 to 3"}},
		{name: "shard ID without a count", env: map[string]string{EnvShardID: "1"}, errHas: []string{EnvShardID, EnvShardCount}},
		{name: "bad switches and count", env: map[string]string{EnvThreads: "yes please", EnvMessageContent: "on", EnvShardCount: "0"},
			errHas: []string{EnvThreads, EnvMessageContent, EnvShardCount}},
		{name: "data dir", env: map[string]string{EnvDataDir: tb}, check: func(t *testing.T, c Config) {
			if d, err := c.ResolvedDataDir(); err != nil || d != tb {
				t.Errorf("data dir = %q, %v", d, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(func(k string) string { return tt.env[k] })
			checkLoad(t, c, err, tt.errHas, tt.noLeaks, tt.check)
		})
	}
}

// checkLoad asserts Load's outcome: each name in errHas in the error (no
// error when empty), none of noLeaks in it, then check.
func checkLoad(t *testing.T, c Config, err error, errHas, noLeaks []string, check func(*testing.T, Config)) {
	t.Helper()
	if len(errHas) == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
	} else if err == nil {
		t.Fatalf("want an error naming %v", errHas)
	}
	for _, name := range errHas {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
	for _, s := range noLeaks {
		if err != nil && strings.Contains(err.Error(), s) {
			t.Errorf("error has %q: %v", s, err)
		}
	}
	if check != nil {
		check(t, c)
	}
}

func TestLoadChecksAddressesAndDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "data")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	xdgFile := t.TempDir()
	if err := os.WriteFile(filepath.Join(xdgFile, "talkbot"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		env      map[string]string
		errHas   []string
		errLacks []string
	}{
		{"listen address with host", map[string]string{EnvHTTPAddr: "127.0.0.1:9090"}, nil, nil},
		{"listen address, every interface", map[string]string{EnvHTTPAddr: ":9090"}, nil, nil},
		{"listen address, any free port", map[string]string{EnvHTTPAddr: "localhost:0"}, nil, nil},
		{"IPv6 listen address", map[string]string{EnvHTTPAddr: "[::1]:9090"}, nil, nil},
		{"port alone", map[string]string{EnvHTTPAddr: "9090"}, []string{EnvHTTPAddr, ":9090"}, nil},
		{"a URL is not a listen address", map[string]string{EnvHTTPAddr: "http://localhost:9090"}, []string{EnvHTTPAddr, "host:port"}, nil},
		{"port out of range", map[string]string{EnvHTTPAddr: "127.0.0.1:99999"}, []string{EnvHTTPAddr, "port"}, nil},
		{"named port", map[string]string{EnvHTTPAddr: "127.0.0.1:http"}, []string{EnvHTTPAddr, "port"}, nil},
		{"bad Discord URL suggests Discord, not Ollama", map[string]string{EnvDiscordAPIURL: "discord.com/api"},
			[]string{EnvDiscordAPIURL, "https://discord.com/api/v9/", "local fake"}, []string{"11434", "Ollama"}},
		{"bad OpenAI URL suggests a model server", map[string]string{EnvOpenAIBaseURL: "localhost:11434", EnvChatModel: "m"},
			[]string{EnvOpenAIBaseURL, "http://localhost:11434/v1"}, []string{"discord"}},
		{"a password in a bad URL is not repeated", map[string]string{EnvOpenAIBaseURL: "ftp://me:hunter2@example.com/v1", EnvChatModel: "m"},
			[]string{EnvOpenAIBaseURL}, []string{"hunter2"}},
		{"data dir that is a file", map[string]string{EnvDataDir: file}, []string{EnvDataDir, file, "is a file", "point " + EnvDataDir + " at a directory"}, nil},
		{"default data dir that is a file", map[string]string{"XDG_DATA_HOME": xdgFile}, []string{EnvDataDir, "is a file", "move that file away"}, nil},
		{"data dir that does not exist yet", map[string]string{EnvDataDir: filepath.Join(dir, "new")}, nil, nil},
		{"data dir below a file is left to the store's fallback", map[string]string{EnvDataDir: filepath.Join(file, "x")}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(func(k string) string { return tt.env[k] })
			checkLoad(t, c, err, tt.errHas, tt.errLacks, nil)
			if err != nil && strings.Count(err.Error(), "\n") != 0 {
				t.Errorf("one mistake, several lines: %v", err)
			}
		})
	}
}
