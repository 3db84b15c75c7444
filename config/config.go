// Package config reads talkbot's configuration from the environment (and
// flags layered on top by the CLI) into one validated Config.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is everything talkbot can be told. The zero value of an optional
// part means "off": no LLM, no Discord, no HTTP endpoint.
type Config struct {
	// DataDir persists the index and ingested articles: TALKBOT_DATA_DIR
	// (DataDirSet) or the default per-user directory ("" if there is none).
	DataDir    string
	DataDirSet bool

	// OpenAI-compatible server (OpenAI, Ollama, llama.cpp, vLLM, LM Studio).
	OpenAIKey     string // optional for local servers; never logged
	OpenAIBaseURL string
	ChatModel     string // enables LLM answers
	EmbedModel    string // optional: semantic embeddings instead of the offline embedder
	LLMTimeout    time.Duration
	LLMRetries    int

	// Discord.
	DiscordToken    string // never logged
	DiscordGuildID  string
	DiscordAPIURL   string
	AllowedChannels []string
	UserRateLimit   int           // questions per user per RateWindow
	RateWindow      time.Duration //
	MaxConcurrent   int           // answers in flight at once
	MaxQueue        int           // answers waiting for a slot

	// Discord conversations and scale (issue 12).
	Threads        bool // answers to channel mentions open a thread for follow-ups
	MessageContent bool // request the privileged Message Content intent
	ShardID        int  // this process's shard, 0 to ShardCount-1
	ShardCount     int  // 0: no sharding; -1: the count Discord recommends ("auto")

	// HTTPAddr serves /healthz, /readyz and /metrics when set.
	HTTPAddr string
	// LogLevel is debug, info, warn or error.
	LogLevel string

	// QuestionLog records questions and votes for `talkbot report`
	// (TALKBOT_QUESTION_LOG, default on); LogRetention is how long they
	// are kept (TALKBOT_LOG_RETENTION, default 90 days).
	QuestionLog  bool
	LogRetention time.Duration
}

// Env names, in one place so errors and docs agree.
const (
	EnvDataDir         = "TALKBOT_DATA_DIR"
	EnvOpenAIKey       = "OPENAI_API_KEY"
	EnvOpenAIBaseURL   = "OPENAI_BASE_URL"
	EnvChatModel       = "TALKBOT_CHAT_MODEL"
	EnvEmbedModel      = "TALKBOT_EMBED_MODEL"
	EnvLLMTimeout      = "TALKBOT_LLM_TIMEOUT"
	EnvLLMRetries      = "TALKBOT_LLM_RETRIES"
	EnvDiscordToken    = "DISCORD_TOKEN"
	EnvDiscordGuildID  = "DISCORD_GUILD_ID"
	EnvDiscordAPIURL   = "DISCORD_API_URL"
	EnvAllowedChannels = "TALKBOT_ALLOWED_CHANNELS"
	EnvUserRateLimit   = "TALKBOT_USER_RATE_LIMIT"
	EnvRateWindow      = "TALKBOT_RATE_WINDOW"
	EnvMaxConcurrent   = "TALKBOT_MAX_CONCURRENT"
	EnvMaxQueue        = "TALKBOT_MAX_QUEUE"
	EnvHTTPAddr        = "TALKBOT_HTTP_ADDR"
	EnvLogLevel        = "TALKBOT_LOG_LEVEL"

	EnvThreads        = "TALKBOT_THREADS"
	EnvMessageContent = "TALKBOT_MESSAGE_CONTENT"
	EnvShardID        = "TALKBOT_SHARD_ID"
	EnvShardCount     = "TALKBOT_SHARD_COUNT"
)

// Load reads the configuration through getenv (os.Getenv in production, a
// map in tests) and validates it. Every error names the variable and says
// what to do.
func Load(getenv func(string) string) (Config, error) {
	c := Config{
		OpenAIKey:      strings.TrimSpace(getenv(EnvOpenAIKey)),
		OpenAIBaseURL:  strings.TrimSpace(getenv(EnvOpenAIBaseURL)),
		ChatModel:      strings.TrimSpace(getenv(EnvChatModel)),
		EmbedModel:     strings.TrimSpace(getenv(EnvEmbedModel)),
		DiscordToken:   strings.TrimSpace(getenv(EnvDiscordToken)),
		DiscordGuildID: strings.TrimSpace(getenv(EnvDiscordGuildID)),
		DiscordAPIURL:  strings.TrimSpace(getenv(EnvDiscordAPIURL)),
		HTTPAddr:       strings.TrimSpace(getenv(EnvHTTPAddr)),
		LogLevel:       strings.ToLower(strings.TrimSpace(getenv(EnvLogLevel))),
	}
	var errs []error
	if d := strings.TrimSpace(getenv(EnvDataDir)); d != "" {
		c.DataDir, c.DataDirSet = d, true
	} else {
		c.DataDir = defaultDataDir(getenv)
	}
	for _, ch := range strings.Split(getenv(EnvAllowedChannels), ",") {
		if ch = strings.TrimSpace(ch); ch != "" {
			if _, err := strconv.ParseUint(ch, 10, 64); err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a Discord channel ID (a number; enable Developer Mode and use Copy ID)", EnvAllowedChannels, ch))
				continue
			}
			c.AllowedChannels = append(c.AllowedChannels, ch)
		}
	}
	if c.DiscordGuildID != "" {
		if _, err := strconv.ParseUint(c.DiscordGuildID, 10, 64); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not a Discord server ID (a number); unset it to register commands globally", EnvDiscordGuildID, c.DiscordGuildID))
		}
	}
	// Each URL's example is one that belongs in that variable: an Ollama
	// address is no help to someone pointing the bot at Discord.
	for _, u := range []struct{ name, val, example string }{
		{EnvOpenAIBaseURL, c.OpenAIBaseURL, "http://localhost:11434/v1 for Ollama or https://api.openai.com/v1"},
		{EnvDiscordAPIURL, c.DiscordAPIURL, "https://discord.com/api/v9/ (Discord's own, the default: unset it) or a local fake such as http://127.0.0.1:8081/api/v9/"},
	} {
		if u.val == "" {
			continue
		}
		p, err := url.Parse(u.val)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, fmt.Errorf("%s: %q is not an http(s) URL, e.g. %s", u.name, redactURL(u.val), u.example))
		}
	}
	if c.HTTPAddr != "" {
		if err := checkListenAddr(c.HTTPAddr); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q %v: use host:port such as 127.0.0.1:9090, or :9090 for every interface", EnvHTTPAddr, c.HTTPAddr, err))
		}
	}
	if err := checkDataDir(c); err != nil {
		errs = append(errs, err)
	}
	c.LLMTimeout = duration(getenv, EnvLLMTimeout, 30*time.Second, &errs)
	c.RateWindow = duration(getenv, EnvRateWindow, time.Minute, &errs)
	c.LLMRetries = integer(getenv, EnvLLMRetries, 2, 0, 10, &errs)
	c.UserRateLimit = integer(getenv, EnvUserRateLimit, 5, 1, 1000, &errs)
	c.MaxConcurrent = integer(getenv, EnvMaxConcurrent, 4, 1, 256, &errs)
	c.MaxQueue = integer(getenv, EnvMaxQueue, 64, 0, 100000, &errs)
	c.Threads = boolean(getenv, EnvThreads, &errs)
	c.MessageContent = boolean(getenv, EnvMessageContent, &errs)
	c.ShardID, c.ShardCount = shards(getenv, &errs)
	loadQuestionLog(getenv, &c, &errs)
	switch c.LogLevel {
	case "", "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("%s: %q is not one of debug, info, warn, error", EnvLogLevel, c.LogLevel))
	}
	if c.EmbedModel != "" && c.OpenAIBaseURL == "" && c.OpenAIKey == "" {
		errs = append(errs, fmt.Errorf("%s is set but neither %s nor %s is: say where the embedding server is", EnvEmbedModel, EnvOpenAIBaseURL, EnvOpenAIKey))
	}
	if c.ChatModel != "" && c.OpenAIBaseURL == "" && c.OpenAIKey == "" {
		errs = append(errs, fmt.Errorf("%s is set but neither %s (for a local server such as Ollama) nor %s (for OpenAI) is: say where the chat model is", EnvChatModel, EnvOpenAIBaseURL, EnvOpenAIKey))
	}
	if c.OpenAIBaseURL != "" && c.ChatModel == "" && c.EmbedModel == "" {
		// A server with no model to use is almost always a forgotten variable.
		errs = append(errs, fmt.Errorf("%s is set but %s is not: name the chat model to use (e.g. gpt-4o-mini, llama3.1), or unset %s", EnvOpenAIBaseURL, EnvChatModel, EnvOpenAIBaseURL))
	}
	return c, errors.Join(errs...)
}

// LLMEnabled reports whether answers should go through a chat model.
func (c Config) LLMEnabled() bool { return c.ChatModel != "" }

// ResolvedDataDir is where the persistent store lives: TALKBOT_DATA_DIR, or
// the per-user data directory ($XDG_DATA_HOME/talkbot, ~/.local/share/talkbot).
func (c Config) ResolvedDataDir() (string, error) {
	if c.DataDir == "" {
		return "", fmt.Errorf("no home directory to keep data in: set %s", EnvDataDir)
	}
	return c.DataDir, nil
}

// checkListenAddr accepts what net.Listen("tcp", addr) takes for a
// server: an optional host and a numeric port.
func checkListenAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("is not host:port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return errors.New("has no port number (0 to 65535)")
	}
	if strings.ContainsAny(host, "/@ ") {
		return errors.New("has a host that is not a name or an IP address")
	}
	return nil
}

// checkDataDir refuses a data directory that exists but is not a directory:
// no store can live there, and answering without one would hide the
// mistake. A missing directory is fine (it is created when needed); one
// that cannot be checked is left to the store, which falls back to the
// built-in articles with a warning.
func checkDataDir(c Config) error {
	if c.DataDir == "" {
		return nil
	}
	fi, err := os.Stat(c.DataDir)
	if err != nil || fi.IsDir() {
		return nil
	}
	if c.DataDirSet {
		return fmt.Errorf("%s: %s is a file, not a directory: point %s at a directory (it is created if missing)", EnvDataDir, c.DataDir, EnvDataDir)
	}
	return fmt.Errorf("the data directory %s is a file, not a directory: move that file away, or set %s to a directory", c.DataDir, EnvDataDir)
}

// redactURL hides a password written into a URL, so that errors (which are
// printed and logged) never carry it.
func redactURL(s string) string {
	if p, err := url.Parse(s); err == nil && p.User != nil {
		return p.Redacted()
	}
	return s
}

// defaultDataDir follows the XDG base directory convention, read through
// getenv like everything else so callers (and tests) control it.
func defaultDataDir(getenv func(string) string) string {
	if x := strings.TrimSpace(getenv("XDG_DATA_HOME")); x != "" {
		return filepath.Join(x, "talkbot")
	}
	if h := strings.TrimSpace(getenv("HOME")); h != "" {
		return filepath.Join(h, ".local", "share", "talkbot")
	}
	return ""
}

func duration(getenv func(string) string, name string, def time.Duration, errs *[]error) time.Duration {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		*errs = append(*errs, fmt.Errorf("%s: %q is not a positive duration such as 30s or 2m", name, v))
		return def
	}
	return d
}

func integer(getenv func(string) string, name string, def, lo, hi int, errs *[]error) int {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		*errs = append(*errs, fmt.Errorf("%s: %q must be a whole number from %d to %d", name, v, lo, hi))
		return def
	}
	return n
}

func boolean(getenv func(string) string, name string, errs *[]error) bool {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		*errs = append(*errs, fmt.Errorf("%s: %q must be true or false", name, v))
	}
	return b
}

// maxShards is far above what any bot needs (Discord recommends one shard
// per ~1000 servers) and catches a mistyped count.
const maxShards = 65536

// shards reads TALKBOT_SHARD_ID and TALKBOT_SHARD_COUNT ("auto": ask
// Discord, returned as -1). Every process of a sharded bot is started with
// the same count and its own ID.
func shards(getenv func(string) string, errs *[]error) (id, count int) {
	cv := strings.ToLower(strings.TrimSpace(getenv(EnvShardCount)))
	switch cv {
	case "":
	case "auto":
		count = -1
	default:
		count = integer(getenv, EnvShardCount, 0, 1, maxShards, errs)
	}
	iv := strings.TrimSpace(getenv(EnvShardID))
	if iv == "" {
		return 0, count
	}
	if cv == "" {
		*errs = append(*errs, fmt.Errorf("%s is set but %s is not: give every process the same shard count (a number, or auto for the count Discord recommends)", EnvShardID, EnvShardCount))
		return 0, 0
	}
	hi := maxShards - 1
	if count > 0 {
		hi = count - 1
	}
	return integer(getenv, EnvShardID, 0, 0, hi, errs), count
}
