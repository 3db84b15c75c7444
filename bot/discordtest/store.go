package discordtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/bwmarrin/discordgo"
)

// wireMsg marshals a message the way Discord sends it: discordgo's Message
// has `json:"-"` on Components, so plain json.Marshal would drop them.
type wireMsg struct {
	*discordgo.Message
	Components        []discordgo.MessageComponent `json:"components"`
	ReferencedMessage *wireMsg                     `json:"referenced_message"`
}

func toWire(m *discordgo.Message) *wireMsg {
	if m == nil {
		return nil
	}
	comps := m.Components
	if comps == nil {
		comps = []discordgo.MessageComponent{}
	}
	return &wireMsg{Message: m, Components: comps, ReferencedMessage: toWire(m.ReferencedMessage)}
}

// wireInteraction carries its message with components.
type wireInteraction struct {
	*discordgo.Interaction
	Message *wireMsg `json:"message,omitempty"`
}

// cloneMsg deep-copies a message through its wire form.
func cloneMsg(m *discordgo.Message) *discordgo.Message {
	if m == nil {
		return nil
	}
	b, err := json.Marshal(toWire(m))
	if err != nil {
		panic(fmt.Sprintf("discordtest: marshal message: %v", err)) // only our own structs get here
	}
	var c discordgo.Message
	if err := json.Unmarshal(b, &c); err != nil {
		panic(fmt.Sprintf("discordtest: unmarshal message: %v", err))
	}
	return &c
}

// interactionRec is what the fake knows about one dispatched interaction.
type interactionRec struct {
	i          *discordgo.Interaction
	dispatched time.Time
	acked      bool
	ackType    discordgo.InteractionResponseType
	originalID string
	followups  map[string]bool
}

// registerChannelLocked remembers a channel's guild (empty guild: a DM
// with peer, so that POST users/@me/channels for peer finds this channel).
func (s *Server) registerChannelLocked(channelID, guildID string, peer *discordgo.User) {
	if channelID == "" {
		return
	}
	if ch, ok := s.channels[channelID]; ok {
		if ch.Type == discordgo.ChannelTypeDM && len(ch.Recipients) == 0 && peer != nil && peer.ID != s.opts.BotUserID {
			ch.Recipients = []*discordgo.User{peer}
		}
		return
	}
	ch := &discordgo.Channel{ID: channelID, GuildID: guildID, Type: discordgo.ChannelTypeGuildText, Name: "channel-" + channelID}
	if guildID == "" {
		ch.Type = discordgo.ChannelTypeDM
		ch.Name = ""
		if peer != nil && peer.ID != s.opts.BotUserID {
			ch.Recipients = []*discordgo.User{peer}
		}
	}
	s.channels[channelID] = ch
}

// storeLocked saves a copy of m, which must have an ID and ChannelID.
func (s *Server) storeLocked(m *discordgo.Message) {
	s.registerChannelLocked(m.ChannelID, m.GuildID, m.Author)
	if _, ok := s.messages[m.ID]; !ok {
		s.order[m.ChannelID] = append(s.order[m.ChannelID], m.ID)
	}
	s.messages[m.ID] = cloneMsg(m)
}

// fillMessageLocked gives an injected message the fields Discord would set.
func (s *Server) fillMessageLocked(m *discordgo.Message) {
	if m.ID == "" {
		m.ID = s.newIDLocked()
	}
	if m.Timestamp.IsZero() {
		m.Timestamp = time.Now().UTC()
	}
	if m.MessageReference != nil && m.ReferencedMessage == nil {
		if ref, ok := s.messages[m.MessageReference.MessageID]; ok {
			m.ReferencedMessage = cloneMsg(ref)
			m.ReferencedMessage.ReferencedMessage = nil // Discord nests one level only
		}
	}
	if m.MessageReference != nil && m.Type == discordgo.MessageTypeDefault {
		m.Type = discordgo.MessageTypeReply
	}
	if m.Mentions == nil {
		m.Mentions = []*discordgo.User{}
		for _, id := range mentionIDs(m.Content) {
			m.Mentions = append(m.Mentions, s.userByID(id))
		}
		if m.ReferencedMessage != nil && m.ReferencedMessage.Author != nil && m.ReferencedMessage.Author.ID == s.opts.BotUserID && !hasUser(m.Mentions, s.opts.BotUserID) {
			m.Mentions = append(m.Mentions, s.botUser())
		}
		m.MentionEveryone = everyoneRe.MatchString(m.Content)
	}
}

var (
	userMentionRe = regexp.MustCompile(`<@!?(\d+)>`)
	roleMentionRe = regexp.MustCompile(`<@&(\d+)>`)
	everyoneRe    = regexp.MustCompile(`@(everyone|here)\b`)
)

func mentionIDs(content string) []string {
	var ids []string
	seen := map[string]bool{}
	for _, m := range userMentionRe.FindAllStringSubmatch(content, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			ids = append(ids, m[1])
		}
	}
	return ids
}

func hasUser(us []*discordgo.User, id string) bool {
	for _, u := range us {
		if u != nil && u.ID == id {
			return true
		}
	}
	return false
}

func (s *Server) userByID(id string) *discordgo.User {
	if id == s.opts.BotUserID {
		return s.botUser()
	}
	return &discordgo.User{ID: id, Username: "user-" + id, Discriminator: "0"}
}

// visibleLocked is m as this client may see it: without the MESSAGE_CONTENT
// intent, guild messages that neither mention the bot nor are its own lose
// their content, as on Discord.
func (s *Server) visibleLocked(m *discordgo.Message) *discordgo.Message {
	if m == nil {
		return nil
	}
	c := cloneMsg(m)
	c.ReferencedMessage = s.visibleLocked(m.ReferencedMessage)
	if s.intents&discordgo.IntentsMessageContent != 0 || c.GuildID == "" ||
		(c.Author != nil && c.Author.ID == s.opts.BotUserID) || hasUser(c.Mentions, s.opts.BotUserID) {
		return c
	}
	c.Content = ""
	c.Embeds = []*discordgo.MessageEmbed{}
	c.Attachments = []*discordgo.MessageAttachment{}
	c.Components = nil
	c.Poll = nil
	return c
}

// deliverableLocked says whether the client's intents let it receive
// MESSAGE_CREATE for m.
func (s *Server) deliverableLocked(m *discordgo.Message) error {
	need, name := discordgo.IntentsGuildMessages, "GUILD_MESSAGES"
	if m.GuildID == "" {
		need, name = discordgo.IntentsDirectMessages, "DIRECT_MESSAGES"
	}
	if s.intents&need == 0 {
		return fmt.Errorf("client did not identify with intent %s: %w", name, ErrNotDelivered)
	}
	return nil
}

// StoreMessage stores a copy of m, as if it had been sent earlier, so GET
// returns it (e.g. an earlier bot answer a user replies to). It fills ID and
// Timestamp in m if empty.
func (s *Server) StoreMessage(m *discordgo.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fillMessageLocked(m)
	s.storeLocked(m)
	s.notifyLocked()
}

// DispatchMessage stores m and sends it as MESSAGE_CREATE. It fills ID,
// Timestamp, Type, ReferencedMessage (from the store) and, if nil, Mentions
// in m. m.Author is required; no GuildID means a DM.
func (s *Server) DispatchMessage(ctx context.Context, m *discordgo.Message) error {
	if m == nil || m.Author == nil || m.ChannelID == "" {
		return errors.New("discordtest: DispatchMessage needs a message with Author and ChannelID")
	}
	if err := s.WaitIdentified(ctx); err != nil {
		return fmt.Errorf("discordtest: dispatch MESSAGE_CREATE: %w", err)
	}
	s.mu.Lock()
	s.fillMessageLocked(m)
	s.storeLocked(m)
	s.notifyLocked()
	err := s.deliverableLocked(m)
	vis := toWire(s.visibleLocked(m))
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("discordtest: dispatch MESSAGE_CREATE: %w", err)
	}
	return s.Dispatch(ctx, "MESSAGE_CREATE", vis)
}

// echoLocked sends the bot's own message back as eventType, like Discord.
func (s *Server) echoLocked(eventType string, m *discordgo.Message) {
	if s.opts.NoEcho || m.Flags&discordgo.MessageFlagsEphemeral != 0 || s.deliverableLocked(m) != nil {
		return
	}
	s.dispatchAsyncLocked(eventType, toWire(s.visibleLocked(m)))
}

// DispatchInteraction sends i as INTERACTION_CREATE. It fills ID, Token,
// AppID and Version in i if empty (so the test can match the bot's requests
// by them), and for an application command the command id if registered.
// The client then has [Options.InteractionTimeout] for its first callback.
func (s *Server) DispatchInteraction(ctx context.Context, i *discordgo.Interaction) error {
	if i == nil {
		return errors.New("discordtest: DispatchInteraction needs an interaction")
	}
	s.mu.Lock()
	if i.ID == "" {
		i.ID = s.newIDLocked()
	}
	if i.Token == "" {
		i.Token = "itoken-" + i.ID
	}
	if i.AppID == "" {
		i.AppID = s.opts.AppID
	}
	if i.Version == 0 {
		i.Version = 1
	}
	if d, ok := i.Data.(discordgo.ApplicationCommandInteractionData); ok && d.ID == "" {
		if id, ok := s.commandIDs[i.GuildID+"/"+d.Name]; ok {
			d.ID = id
		} else if id, ok := s.commandIDs["/"+d.Name]; ok {
			d.ID = id
		}
		i.Data = d
	}
	s.registerChannelLocked(i.ChannelID, i.GuildID, interactionUser(i))
	if i.Message != nil {
		if i.Message.ID == "" {
			s.fillMessageLocked(i.Message)
		}
		if _, ok := s.messages[i.Message.ID]; !ok {
			s.storeLocked(i.Message)
		}
	}
	w := wireInteraction{Interaction: i, Message: toWire(i.Message)}
	raw, err := json.Marshal(w)
	if err != nil {
		s.mu.Unlock()
		return fmt.Errorf("discordtest: encode interaction: %w", err)
	}
	var stored discordgo.Interaction
	if err := json.Unmarshal(raw, &stored); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("discordtest: copy interaction: %w", err)
	}
	s.interactions[i.Token] = &interactionRec{i: &stored, dispatched: time.Now(), followups: map[string]bool{}}
	s.mu.Unlock()
	if err := s.WaitIdentified(ctx); err != nil {
		return fmt.Errorf("discordtest: dispatch INTERACTION_CREATE: %w", err)
	}
	s.mu.Lock()
	if rec := s.interactions[i.Token]; rec != nil && !rec.acked {
		rec.dispatched = time.Now() // the 3 s start when the client could see it
	}
	s.mu.Unlock()
	return s.Dispatch(ctx, "INTERACTION_CREATE", json.RawMessage(raw))
}

// Messages returns copies of the messages the bot posted in a channel
// (channel messages, interaction responses and follow-ups, ephemeral ones
// included), as last edited, oldest first.
func (s *Server) Messages(channelID string) []*discordgo.Message {
	return s.channelMessages(channelID, true)
}

// ChannelMessages returns copies of every stored message in a channel,
// injected or posted, oldest first.
func (s *Server) ChannelMessages(channelID string) []*discordgo.Message {
	return s.channelMessages(channelID, false)
}

func (s *Server) channelMessages(channelID string, botOnly bool) []*discordgo.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*discordgo.Message
	for _, id := range s.order[channelID] {
		m, ok := s.messages[id]
		if !ok || (botOnly && (m.Author == nil || m.Author.ID != s.opts.BotUserID)) {
			continue
		}
		out = append(out, cloneMsg(m))
	}
	return out
}

// Message returns a copy of a stored message, or nil.
func (s *Server) Message(id string) *discordgo.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneMsg(s.messages[id])
}

// Original returns a copy of the original response to an interaction (by
// interaction id), or nil if there is none yet.
func (s *Server) Original(interactionID string) *discordgo.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rec := range s.interactions {
		if rec.i.ID == interactionID && rec.originalID != "" {
			return cloneMsg(s.messages[rec.originalID])
		}
	}
	return nil
}

// Commands returns the commands last registered for a guild ("" for global).
func (s *Server) Commands(guildID string) []*discordgo.ApplicationCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := json.Marshal(s.commands[guildID])
	var out []*discordgo.ApplicationCommand
	_ = json.Unmarshal(b, &out)
	return out
}
