package validation

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// level is one object or array open at the point a walk through a body has reached.
type level struct {
	array   bool
	wantKey bool   // an object, between members
	index   int    // an array: the element being read
	member  string // an object: the path piece of the member being read, "" between members
	fields  protoreflect.FieldDescriptors
	mapOf   protoreflect.FieldDescriptor // an object that is a map field's value
	listOf  protoreflect.FieldDescriptor // an array that is a list field's value
	current protoreflect.FieldDescriptor // the field of the member being read
}

// syntaxField returns the path of the value in which body, not valid JSON, breaks off, spelt as
// JSONField's are, or "" if it breaks off before any member of its top-level object.
func syntaxField(body []byte, md protoreflect.MessageDescriptor) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	var open []*level
	done := false
	for {
		tok, err := dec.Token()
		if err != nil || done {
			return pathOf(open)
		}
		var top *level
		if len(open) > 0 {
			top = open[len(open)-1]
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			next := &level{array: tok == json.Delim('['), wantKey: tok == json.Delim('{')}
			if top == nil {
				next.fields = md.Fields()
			} else {
				inner(top, next)
			}
			open = append(open, next)
			continue
		case json.Delim('}'), json.Delim(']'):
			open = open[:len(open)-1]
		default:
			if key, ok := tok.(string); ok && top != nil && !top.array && top.wantKey {
				top.wantKey = false
				top.current, top.member = memberOf(top, key)
				continue
			}
		}
		// A value ended: the enclosing level moves to its next member or element.
		if len(open) == 0 {
			done = true // Anything after the top-level value is itself the fault.
			continue
		}
		top = open[len(open)-1]
		if top.array {
			top.index++
		} else {
			top.wantKey, top.member, top.current = true, "", nil
		}
	}
}

// memberOf names the member key of an object level: a field, a map entry, or a key unknown.
func memberOf(l *level, key string) (protoreflect.FieldDescriptor, string) {
	if l.mapOf != nil {
		return nil, "[" + QuoteKey(key) + "]"
	}
	if l.fields != nil {
		if fd := fieldByName(l.fields, key); fd != nil {
			return fd, string(fd.Name())
		}
	}
	return nil, unknownName(key)
}

// inner sets up what next, an object or array opened as a value in outer, holds.
func inner(outer, next *level) {
	fd := outer.current
	switch {
	case outer.array && outer.listOf != nil:
		fd = outer.listOf
	case outer.mapOf != nil:
		fd = outer.mapOf.MapValue()
	}
	if fd == nil {
		return
	}
	switch {
	case fd.IsList() && !outer.array:
		next.listOf = fd
	case fd.IsMap() && outer.mapOf == nil:
		next.mapOf = fd
	case fd.Message() != nil && !wellKnown(fd.Message()):
		next.fields = fd.Message().Fields()
	}
}

// pathOf spells the path to the value being read in the open levels.
func pathOf(open []*level) string {
	var b strings.Builder
	for _, l := range open {
		piece := l.member
		if l.array {
			piece = "[" + strconv.Itoa(l.index) + "]"
		}
		if piece == "" {
			break
		}
		if b.Len() > 0 && piece[0] != '[' {
			b.WriteByte('.')
		}
		b.WriteString(piece)
	}
	return b.String()
}

// FieldOf returns the field an Error's text names (Field, then ": " outside any quoted map
// key): the worker reports a broken rule so, as INVALID_ARGUMENT. "" if msg is not such a text.
func FieldOf(msg string) string {
	quoted := false
	for i := 0; i < len(msg); i++ {
		switch c := msg[i]; {
		case quoted && c == '\\':
			i++ // the escaped character, a quote perhaps
		case c == '"':
			quoted = !quoted
		case !quoted && strings.HasPrefix(msg[i:], ": "):
			return msg[:i]
		case !quoted && c == ' ':
			return "" // prose, not a path
		}
	}
	return ""
}
