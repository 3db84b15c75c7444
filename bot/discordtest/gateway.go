package discordtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// gwConn is one gateway websocket.
type gwConn struct {
	ws  *websocket.Conn
	wmu sync.Mutex // gorilla allows one concurrent writer
}

// write sends one JSON frame, giving up at the deadline.
func (c *gwConn) write(deadline time.Time, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("discordtest: encode gateway frame: %w", err)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(deadline)
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		return fmt.Errorf("discordtest: write gateway frame: %w", err)
	}
	return nil
}

type gwFrame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
}

type outFrame struct {
	Op int     `json:"op"`
	D  any     `json:"d"`
	S  *int64  `json:"s"`
	T  *string `json:"t"`
}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade already answered with an HTTP error
	}
	c := &gwConn{ws: ws}
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go s.readLoop(c)
}

// readLoop runs one connection: HELLO, then answers the client's ops.
func (s *Server) readLoop(c *gwConn) {
	defer s.wg.Done()
	defer func() {
		_ = c.ws.Close()
		s.mu.Lock()
		delete(s.conns, c)
		if s.current == c {
			s.current = nil
		}
		s.notifyLocked()
		s.mu.Unlock()
	}()
	hello := map[string]any{"heartbeat_interval": s.opts.HeartbeatInterval.Milliseconds()}
	if err := c.write(time.Now().Add(5*time.Second), outFrame{Op: 10, D: hello}); err != nil {
		return
	}
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		var f gwFrame
		if err := json.Unmarshal(data, &f); err != nil {
			_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4002, "Error while decoding payload."), time.Now().Add(time.Second))
			return
		}
		if err := s.handleOp(c, f); err != nil {
			return
		}
	}
}

func (s *Server) handleOp(c *gwConn, f gwFrame) error {
	deadline := time.Now().Add(5 * time.Second)
	switch f.Op {
	case 1: // heartbeat
		s.mu.Lock()
		noAck := s.noAck
		s.mu.Unlock()
		if noAck {
			return nil
		}
		return c.write(deadline, outFrame{Op: 11})
	case 2: // identify
		// Only the fields we use: discordgo's own Identify does not round-trip
		// (its presence fields fail to unmarshal).
		var id struct {
			Token   string           `json:"token"`
			Intents discordgo.Intent `json:"intents"`
		}
		if err := json.Unmarshal(f.D, &id); err != nil || id.Token == "" {
			_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4004, "Authentication failed."), deadline)
			return fmt.Errorf("discordtest: bad identify")
		}
		// Hold the write lock across seq assignment and send so that no
		// dispatch can overtake READY on this connection.
		c.wmu.Lock()
		s.mu.Lock()
		s.token = id.Token
		s.intents = id.Intents
		s.identifyRaw = append([]byte(nil), f.D...)
		s.violations = append(s.violations, s.validator.CheckIdentify(f.D)...)
		s.sessionID = "session-" + s.newIDLocked()
		s.seq = 1
		seq := s.seq
		ready := map[string]any{
			"v":                  10,
			"user":               s.botUser(),
			"application":        map[string]any{"id": s.opts.AppID, "flags": 0},
			"session_id":         s.sessionID,
			"resume_gateway_url": s.GatewayURL(),
			"guilds":             []any{map[string]any{"id": s.opts.GuildID, "unavailable": true}},
			"private_channels":   []any{},
			"shard":              []int{0, 1},
		}
		s.mu.Unlock()
		t := "READY"
		err := c.writeLocked(deadline, outFrame{Op: 0, D: ready, S: &seq, T: &t})
		c.wmu.Unlock()
		if err != nil {
			return err
		}
		s.mu.Lock()
		s.identifies++
		s.current = c
		s.notifyLocked()
		s.mu.Unlock()
		return nil
	case 6: // resume
		var rp struct {
			Token     string `json:"token"`
			SessionID string `json:"session_id"`
			Seq       int64  `json:"seq"`
		}
		_ = json.Unmarshal(f.D, &rp)
		c.wmu.Lock()
		s.mu.Lock()
		valid := rp.SessionID != "" && rp.SessionID == s.sessionID && rp.Token == s.token
		var seq int64
		if valid {
			s.seq++
			seq = s.seq
		}
		s.mu.Unlock()
		var err error
		if valid {
			t := "RESUMED"
			err = c.writeLocked(deadline, outFrame{Op: 0, D: map[string]any{}, S: &seq, T: &t})
		} else {
			err = c.writeLocked(deadline, outFrame{Op: 9, D: false}) // client must IDENTIFY
		}
		c.wmu.Unlock()
		if err != nil || !valid {
			return err
		}
		s.mu.Lock()
		s.resumes++
		s.current = c
		s.notifyLocked()
		s.mu.Unlock()
		return nil
	default:
		// Presence updates, member requests and the like are accepted and ignored.
		return nil
	}
}

// writeLocked is write with c.wmu already held.
func (c *gwConn) writeLocked(deadline time.Time, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("discordtest: encode gateway frame: %w", err)
	}
	_ = c.ws.SetWriteDeadline(deadline)
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		return fmt.Errorf("discordtest: write gateway frame: %w", err)
	}
	return nil
}

// DropGateway closes the current gateway websocket abruptly, without a close
// frame, as a network failure would; discordgo then reconnects and resumes.
func (s *Server) DropGateway() {
	s.mu.Lock()
	c := s.current
	s.current = nil
	s.notifyLocked()
	s.mu.Unlock()
	if c != nil {
		_ = c.ws.NetConn().Close()
	}
}

// Dispatch sends an event (op 0) with the given type and payload to the
// connected client, waiting for a connection until ctx ends.
func (s *Server) Dispatch(ctx context.Context, eventType string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("discordtest: encode %s: %w", eventType, err)
	}
	for {
		if err := s.WaitIdentified(ctx); err != nil {
			return fmt.Errorf("discordtest: dispatch %s: %w", eventType, err)
		}
		s.mu.Lock()
		c := s.current
		s.mu.Unlock()
		if c == nil {
			continue // dropped between the wait and now
		}
		deadline := time.Now().Add(5 * time.Second)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		c.wmu.Lock()
		s.mu.Lock()
		if s.current != c {
			s.mu.Unlock()
			c.wmu.Unlock()
			continue
		}
		s.seq++
		seq := s.seq
		s.mu.Unlock()
		t := eventType
		err := c.writeLocked(deadline, outFrame{Op: 0, D: json.RawMessage(raw), S: &seq, T: &t})
		c.wmu.Unlock()
		if err != nil {
			return fmt.Errorf("discordtest: dispatch %s: %w", eventType, err)
		}
		return nil
	}
}

// echoEvent is an event the fake sends on its own, such as an echo.
type echoEvent struct {
	eventType string
	data      any
}

// dispatchAsyncLocked queues an event for the client if one is connected
// now, for events it did not ask for (echoes). s.mu is held, so the send
// cannot happen inline; one worker keeps them in order, as Discord does.
func (s *Server) dispatchAsyncLocked(eventType string, data any) {
	if s.current == nil || s.ctx.Err() != nil {
		return
	}
	select {
	case s.async <- echoEvent{eventType: eventType, data: data}:
	default: // queue full: drop, as a slow client would miss events
	}
}

// asyncWorker sends queued events until the server closes.
func (s *Server) asyncWorker() {
	defer s.wg.Done()
	for {
		select {
		case ev := <-s.async:
			ctx, cancel := context.WithTimeout(s.ctx, 2*time.Second)
			_ = s.Dispatch(ctx, ev.eventType, ev.data) // best effort, like Discord's own delivery
			cancel()
		case <-s.ctx.Done():
			return
		}
	}
}
