package discordtest

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// member is a guild member for user id u.
func member(u string) *discordgo.Member {
	return &discordgo.Member{GuildID: DefaultGuildID, User: user(u), Roles: []string{}, JoinedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func user(u string) *discordgo.User {
	return &discordgo.User{ID: u, Username: "user-" + u, Discriminator: "0"}
}

// optionFor turns a Go value into a command option as Discord sends it:
// string → STRING, bool → BOOLEAN, integers → INTEGER, floats → NUMBER.
func optionFor(name string, v any) *discordgo.ApplicationCommandInteractionDataOption {
	o := &discordgo.ApplicationCommandInteractionDataOption{Name: name, Value: v}
	switch x := v.(type) {
	case string:
		o.Type = discordgo.ApplicationCommandOptionString
	case bool:
		o.Type = discordgo.ApplicationCommandOptionBoolean
	case int:
		o.Type, o.Value = discordgo.ApplicationCommandOptionInteger, float64(x)
	case int64:
		o.Type, o.Value = discordgo.ApplicationCommandOptionInteger, float64(x)
	case float64:
		o.Type = discordgo.ApplicationCommandOptionNumber
	default:
		o.Type, o.Value = discordgo.ApplicationCommandOptionString, fmt.Sprint(v)
	}
	return o
}

// SlashCommand is a /name invocation by guild member user in channel of
// DefaultGuildID, with options in name order. Pass it to
// [Server.DispatchInteraction], which fills ID and Token.
func SlashCommand(name string, opts map[string]any, user, channel string) *discordgo.Interaction {
	names := make([]string, 0, len(opts))
	for k := range opts {
		names = append(names, k)
	}
	sort.Strings(names)
	data := discordgo.ApplicationCommandInteractionData{Name: name, CommandType: discordgo.ChatApplicationCommand}
	for _, k := range names {
		data.Options = append(data.Options, optionFor(k, opts[k]))
	}
	return &discordgo.Interaction{
		Type:      discordgo.InteractionApplicationCommand,
		Data:      data,
		GuildID:   DefaultGuildID,
		ChannelID: channel,
		Member:    member(user),
		Locale:    discordgo.EnglishUS,
		Context:   discordgo.InteractionContextGuild,
	}
}

// Autocomplete is an autocomplete request (type 4) for /name while the user
// types value into focusedOption.
func Autocomplete(name, focusedOption, value, user, channel string) *discordgo.Interaction {
	i := SlashCommand(name, nil, user, channel)
	i.Type = discordgo.InteractionApplicationCommandAutocomplete
	d := i.Data.(discordgo.ApplicationCommandInteractionData)
	d.Options = []*discordgo.ApplicationCommandInteractionDataOption{{
		Name: focusedOption, Type: discordgo.ApplicationCommandOptionString, Value: value, Focused: true,
	}}
	i.Data = d
	return i
}

// ButtonClick is a click (type 3) on the button customID of message.
func ButtonClick(customID, user, channel string, message *discordgo.Message) *discordgo.Interaction {
	i := SlashCommand("", nil, user, channel)
	i.Type = discordgo.InteractionMessageComponent
	i.Data = discordgo.MessageComponentInteractionData{CustomID: customID, ComponentType: discordgo.ButtonComponent}
	i.Message = message
	if message != nil && message.GuildID == "" {
		InDM(i)
	}
	return i
}

// InDM moves an interaction from the guild into a DM: User instead of
// Member, no GuildID. It returns i.
func InDM(i *discordgo.Interaction) *discordgo.Interaction {
	if i.Member != nil {
		i.User = i.Member.User
		i.Member = nil
	}
	i.GuildID = ""
	i.Context = discordgo.InteractionContextBotDM
	return i
}

// GuildMessage is a message by user in a channel of DefaultGuildID. Mention
// the bot with "<@BOTID>" in content.
func GuildMessage(content, userID, channel string) *discordgo.Message {
	return &discordgo.Message{
		Content: content, ChannelID: channel, GuildID: DefaultGuildID, Author: user(userID),
		Member: &discordgo.Member{Roles: []string{}, JoinedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
}

// DirectMessage is a DM (no guild) from user in DM channel.
func DirectMessage(content, userID, channel string) *discordgo.Message {
	return &discordgo.Message{Content: content, ChannelID: channel, Author: user(userID)}
}

// Reply is a message by user replying to `to` in its channel.
func Reply(to *discordgo.Message, content, userID string) *discordgo.Message {
	m := &discordgo.Message{Content: content, ChannelID: to.ChannelID, GuildID: to.GuildID, Author: user(userID),
		MessageReference: &discordgo.MessageReference{MessageID: to.ID, ChannelID: to.ChannelID, GuildID: to.GuildID}}
	if to.GuildID != "" {
		m.Member = &discordgo.Member{Roles: []string{}, JoinedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	}
	return m
}

// rewriteTransport sends requests for https://discord.com/api/vN/ to base.
type rewriteTransport struct {
	base *url.URL
	next http.RoundTripper
}

func (rt rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != "discord.com" {
		return rt.next.RoundTrip(r)
	}
	rest := strings.TrimPrefix(r.URL.Path, "/")
	if after, found := strings.CutPrefix(rest, "api/"); found {
		rest = after
		if strings.HasPrefix(rest, "v") {
			if i := strings.IndexByte(rest, '/'); i >= 0 {
				rest = rest[i+1:]
			}
		}
	}
	r2 := r.Clone(r.Context())
	u := *rt.base
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + rest
	u.RawPath = ""
	u.RawQuery = r.URL.RawQuery
	r2.URL = &u
	r2.Host = u.Host
	return rt.next.RoundTrip(r2)
}

// Session returns a discordgo session for "Bot "+token whose REST calls go to
// this fake (the gateway URL then comes from the fake's GET gateway). It is
// not opened; t.Cleanup closes it and its idle HTTP connections. Register
// handlers and set Identify.Intents before Open.
func (s *Server) Session(t testing.TB, token string) *discordgo.Session {
	t.Helper()
	dg, err := discordgo.New("Bot " + token)
	if err != nil {
		t.Fatalf("discordtest: discordgo.New: %v", err)
	}
	base, err := url.Parse(s.APIURL())
	if err != nil {
		t.Fatalf("discordtest: parse API URL: %v", err)
	}
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 32, IdleConnTimeout: 30 * time.Second}
	dg.Client = &http.Client{Timeout: 10 * time.Second, Transport: rewriteTransport{base: base, next: tr}}
	dg.Dialer = &websocket.Dialer{HandshakeTimeout: 5 * time.Second} // no proxy: the fake is on loopback
	t.Cleanup(func() {
		// discordgo's heartbeat goroutine can hit the socket Close just shut
		// and start reconnecting; with the fake gone that loop never ends.
		dg.Lock()
		dg.ShouldReconnectOnError = false
		dg.Unlock()
		_ = dg.Close()
		tr.CloseIdleConnections()
	})
	return dg
}
