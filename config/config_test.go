package config

import (
	"strings"
	"testing"
	"time"
)

func TestLoad(t *testing.T) {
	t.Parallel()
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
		{name: "data dir", env: map[string]string{EnvDataDir: "/tmp/tb"}, check: func(t *testing.T, c Config) {
			if d, err := c.ResolvedDataDir(); err != nil || d != "/tmp/tb" {
				t.Errorf("data dir = %q, %v", d, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(func(k string) string { return tt.env[k] })
			if len(tt.errHas) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
			} else if err == nil {
				t.Fatalf("want an error naming %v", tt.errHas)
			}
			for _, name := range tt.errHas {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error does not name %s: %v", name, err)
				}
			}
			for _, s := range tt.noLeaks {
				if err != nil && strings.Contains(err.Error(), s) {
					t.Errorf("error leaks a secret: %v", err)
				}
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}
