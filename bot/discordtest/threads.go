package discordtest

import (
	"net/http"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// Threads, as Discord has them: POST channels/{channel}/messages/{message}/threads
// starts a public thread on a message. The thread is a channel whose ID is
// the message's, with the channel as parent and the caller as owner; its
// name must be 1–100 characters, auto_archive_duration one of 60, 1440,
// 4320, 10080; a message gets at most one thread, and threads cannot be
// started in DMs or inside threads. Clients with the GUILDS intent get
// THREAD_CREATE. Messages in a thread are sent and read with the thread's
// ID as channel, like any channel.

// startThreadLocked starts a thread on message mid of channel cid.
func (s *Server) startThreadLocked(req *Request, cid, mid string) reply {
	parent, found := s.channels[cid]
	if !found {
		return errUnknownChannel()
	}
	if parent.Type != discordgo.ChannelTypeGuildText && parent.Type != discordgo.ChannelTypeGuildNews {
		return fail(http.StatusBadRequest, 50024, "Cannot execute action on this channel type")
	}
	msg, found := s.messages[mid]
	if !found || msg.ChannelID != cid {
		return errUnknownMessage()
	}
	if _, exists := s.channels[mid]; exists {
		return fail(http.StatusBadRequest, 160004, "A thread has already been created for this message")
	}
	name, _ := req.Body["name"].(string)
	if n := utf8.RuneCountInString(name); n < 1 || n > 100 {
		return invalidForm("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
	}
	archive := 4320 // the default when none is given is the channel's; any valid value will do
	if v, given := req.Body["auto_archive_duration"]; given {
		f, _ := v.(float64)
		switch int(f) {
		case 60, 1440, 4320, 10080:
			archive = int(f)
		default:
			return invalidForm("auto_archive_duration", "BASE_TYPE_CHOICES", "Value must be one of {60, 1440, 4320, 10080}.")
		}
	}
	th := &discordgo.Channel{ID: mid, GuildID: parent.GuildID, ParentID: cid, OwnerID: s.opts.BotUserID, Name: name,
		Type: discordgo.ChannelTypeGuildPublicThread, ThreadMetadata: &discordgo.ThreadMetadata{AutoArchiveDuration: archive},
		MemberCount: 1, MessageCount: 0}
	s.channels[mid] = th
	if s.intents&discordgo.IntentsGuilds != 0 {
		s.dispatchAsyncLocked("THREAD_CREATE", th)
	}
	return reply{status: http.StatusCreated, body: th}
}

// StartThread starts a public thread in channel parentID as user would,
// without a starter message, and returns its ID. Send messages in it with
// [GuildMessage] and the returned ID as channel.
func (s *Server) StartThread(parentID, name, user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.registerChannelLocked(parentID, DefaultGuildID, nil)
	id := s.newIDLocked()
	s.channels[id] = &discordgo.Channel{ID: id, GuildID: DefaultGuildID, ParentID: parentID, OwnerID: user, Name: name,
		Type: discordgo.ChannelTypeGuildPublicThread, ThreadMetadata: &discordgo.ThreadMetadata{AutoArchiveDuration: 1440}}
	s.notifyLocked()
	return id
}

// Channel returns a copy of a channel the fake knows (threads included),
// or nil.
func (s *Server) Channel(id string) *discordgo.Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[id]
	if !ok {
		return nil
	}
	c := *ch
	return &c
}
