package server

import (
	"example.com/http-stdlib/orchestrator/internal/config"
	"example.com/http-stdlib/orchestrator/internal/httpapi"
)

// APIOptions are the bounds of the server of the HTTP API, from its settings. cmd/gateway, the
// bench's stand-in on the API's routes, is served under them too, so the two are weighed
// under the same limits.
//
// No ReadTimeout for the whole request: the API sets each request's read deadline from its
// body's declared length (httpapi.MinBodyBytesPerSecond; httpapi.Paced for a stand-in), and
// moves the write deadline once the body is in, so the worker call gets its full
// REQUEST_TIMEOUT however long the body took. WriteTimeout bounds requests until then.
func APIOptions(cfg config.Config) Options {
	return Options{
		WriteTimeout:    httpapi.WriteTimeout(cfg.RequestTimeout),
		DrainDelay:      cfg.ShutdownDelay,
		ShutdownTimeout: cfg.ShutdownTimeout,
	}
}
