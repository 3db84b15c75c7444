package main

import (
	"log/slog"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/config"
	"github.com/talkbot/talkbot/retrieval"
)

// newEmbedder picks the embedder: the offline one unless a model is configured.
func newEmbedder(cfg config.Config, log *slog.Logger) (retrieval.Embedder, error) {
	return retrieval.NewHashEmbedder(0), nil
}

// newGenerator builds the LLM answerer from configuration.
func newGenerator(cfg config.Config, log *slog.Logger) (answer.Generator, error) {
	return nil, usagef("%s is set, but LLM answers are not built yet; unset it", config.EnvChatModel)
}
