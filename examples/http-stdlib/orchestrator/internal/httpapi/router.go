package httpapi

import (
	"net/http"
)

// router dispatches the route table with net/http's ServeMux.
func (h *handler) router() http.Handler {
	mux := http.NewServeMux()
	// ServeMux's own 404 and 405 answers are plain text. "/" catches unknown paths, and a
	// method-less pattern per path catches other methods: it is less specific than
	// "METHOD /path", so it only sees what no route claims, and the API stays JSON throughout.
	mux.HandleFunc("/", h.notFound)
	seen := make(map[string]bool)
	for _, rt := range h.routes {
		mux.Handle(rt.method+" "+rt.path, withRoute(rt.path, rt.handler))
		if !seen[rt.path] {
			seen[rt.path] = true
			mux.HandleFunc(rt.path, h.methodNotAllowed)
		}
	}
	return mux
}
