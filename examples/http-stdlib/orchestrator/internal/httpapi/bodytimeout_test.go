package httpapi_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// A body that does not arrive within the server's ReadTimeout is the connection's fault, not
// the request's content: the answer is 408, which tells the client to send it again (faster,
// or smaller), never a 400 that blames its JSON.
func TestABodyTooSlowToArriveIs408(t *testing.T) {
	e := newEnv(t, nil, 2*time.Second)
	srv := httptest.NewUnstartedServer(e.api)
	srv.Config.ReadTimeout = 200 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Headers and the first bytes of a 100-byte body; the rest never comes.
	fmt.Fprint(conn, "POST /v1/score HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"id\":")
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != http.StatusRequestTimeout || body.Error.Code != "request_timeout" {
		t.Errorf("status %d, code %q; want 408 request_timeout", resp.StatusCode, body.Error.Code)
	}
}
