package main

import (
	"log/slog"
	"net/url"

	openai "github.com/sashabaranov/go-openai"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/config"
	"github.com/talkbot/talkbot/retrieval"
)

// newEmbedder picks the embedder: the offline one unless a model is configured.
func newEmbedder(cfg config.Config, log *slog.Logger) (retrieval.Embedder, error) {
	if cfg.EmbedModel == "" {
		return retrieval.NewHashEmbedder(0), nil
	}
	log.Info("embedding with an OpenAI-compatible server", "model", cfg.EmbedModel, "base_url", baseURLForLog(cfg))
	return retrieval.NewOpenAIEmbedder(openAIClient(cfg, log), cfg.EmbedModel,
		retrieval.OpenAIEmbedOptions{Timeout: cfg.LLMTimeout}), nil
}

// newGenerator builds the LLM answerer from configuration.
func newGenerator(cfg config.Config, log *slog.Logger) (answer.Generator, error) {
	log.Info("answering with an OpenAI-compatible chat model", "model", cfg.ChatModel, "base_url", baseURLForLog(cfg),
		"prompt", answer.PromptVersion, "timeout", cfg.LLMTimeout, "retries", cfg.LLMRetries)
	llm := answer.NewLLM(openAIClient(cfg, log), cfg.ChatModel, cfg.LLMTimeout, log)
	if cfg.EmbedModel != "" {
		// A semantic model's similarity is one more signal of the
		// citation check; the offline hash embedder would add nothing.
		log.Info("citation check uses semantic similarity", "model", cfg.EmbedModel, "bar", answer.DefaultSemanticBar)
		llm.WithSemantic(retrieval.NewOpenAIEmbedder(openAIClient(cfg, log), cfg.EmbedModel,
			retrieval.OpenAIEmbedOptions{Timeout: cfg.LLMTimeout}), answer.SemanticOptions{})
	}
	return llm, nil
}

// openAIClient is the one client configuration for chat and embeddings; the
// key goes into the Authorization header only, never into logs.
func openAIClient(cfg config.Config, log *slog.Logger) *openai.Client {
	return answer.NewOpenAIClient(answer.ClientOptions{BaseURL: cfg.OpenAIBaseURL, APIKey: cfg.OpenAIKey,
		Retries: cfg.LLMRetries, Logger: log})
}

// baseURLForLog names the server without any credentials in the URL.
func baseURLForLog(cfg config.Config) string {
	if cfg.OpenAIBaseURL == "" {
		return "OpenAI (default)"
	}
	u, err := url.Parse(cfg.OpenAIBaseURL)
	if err != nil {
		return "(unparsable)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
