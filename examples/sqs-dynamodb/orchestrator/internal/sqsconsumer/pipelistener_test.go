package sqsconsumer

import (
	"context"
	"net"
	"sync"
	"syscall"
)

// pipeListener is a net.Listener whose connections are net.Pipe pairs. Goroutines blocked
// on it are durably blocked, which a synctest bubble needs to advance its clock; a blocked
// read on a real socket is not, so over TCP the fake clock never moves. The same as the
// server package's: a test-only helper cannot be shared between packages without becoming
// production code that nothing but tests reaches.
type pipeListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

// DialContext connects to the listener, refusing as a closed TCP port does once it is closed.
func (l *pipeListener) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
	case <-ctx.Done():
	}
	client.Close()
	server.Close()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, syscall.ECONNREFUSED
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }
