package main

import (
	"log/slog"
	"testing"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/config"
)

// The citation check gets the semantic signal exactly when an embedding
// model is configured; the offline default has none.
func TestGeneratorSemanticWiring(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, embedModel, want string
	}{
		{"offline embedder: no semantic signal", "", ""},
		{"TALKBOT_EMBED_MODEL set: its similarity is a signal", "nomic-embed-text", "openai-nomic-embed-text-native"},
	}
	for _, c := range cases {
		cfg := config.Config{ChatModel: "llama3.1", EmbedModel: c.embedModel, OpenAIBaseURL: "http://127.0.0.1:1/v1"}
		g, err := newGenerator(cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := g.(*answer.LLM).SemanticModel(); got != c.want {
			t.Errorf("%s: semantic model %q, want %q", c.name, got, c.want)
		}
	}
}
