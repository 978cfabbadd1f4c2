package validation

// protojson names no field in its errors, only a line and column, so a body it refuses is
// walked again here to find the field at fault. This runs only for a body already refused.

import (
	"bytes"
	"encoding/json"
	"strconv"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// JSONField returns the path of the field of m's type at which protojson refuses body, spelt
// as Error.Field is (the contract's field names, requests[1].numeric_features["x"]): the first
// field, in the body's order, whose value is of the wrong type, malformed JSON, or not in the
// contract (then as the body names it), or a second value for one field. "" means the body as
// a whole: not a JSON object at all.
func JSONField(body []byte, m protoreflect.ProtoMessage) string {
	if !json.Valid(body) {
		return syntaxField(body, m.ProtoReflect().Descriptor())
	}
	return messageField(body, m.ProtoReflect())
}

// messageField finds the field of raw, a JSON value for a message like m, that protojson refuses.
func messageField(raw []byte, m protoreflect.Message) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return ""
	}
	fields := m.Descriptor().Fields()
	seen := map[protoreflect.FullName]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		key, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return ""
		}
		fd := fieldByName(fields, key)
		if fd == nil {
			return unknownName(key)
		}
		name := string(fd.Name())
		// A field set twice (by either of its names), or two of one oneof.
		whole := fd.FullName()
		if o := fd.ContainingOneof(); o != nil && !o.IsSynthetic() {
			whole = o.FullName()
		}
		if seen[whole] && string(value) != "null" {
			return name
		}
		seen[whole] = string(value) != "null"
		fresh := m.New()
		if accepts(fresh, key, value) {
			continue
		}
		switch {
		case fd.IsList():
			return name + listField(value, fresh, fd, key)
		case fd.IsMap():
			return name + mapField(value, fresh, fd, key)
		case fd.Message() != nil && !wellKnown(fd.Message()):
			if sub := messageField(value, fresh.NewField(fd).Message()); sub != "" {
				return name + "." + sub
			}
		}
		return name
	}
	return ""
}

// listField returns the subscript (and deeper path) of the first element of a list field that
// protojson refuses, or "" if it is the list as a whole.
func listField(raw json.RawMessage, m protoreflect.Message, fd protoreflect.FieldDescriptor, key string) string {
	var elems []json.RawMessage
	if json.Unmarshal(raw, &elems) != nil {
		return ""
	}
	for i, el := range elems {
		one := append(append([]byte{'['}, el...), ']')
		if accepts(m.New(), key, one) {
			continue
		}
		path := "[" + strconv.Itoa(i) + "]"
		if fd.Message() != nil && !wellKnown(fd.Message()) {
			if sub := messageField(el, m.New().NewField(fd).List().NewElement().Message()); sub != "" {
				path += "." + sub
			}
		}
		return path
	}
	return ""
}

// mapField is listField for a map field: the first entry protojson refuses, by its key.
func mapField(raw json.RawMessage, m protoreflect.Message, fd protoreflect.FieldDescriptor, key string) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return ""
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		k, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return ""
		}
		entryKey, _ := json.Marshal(k)
		one := append(append(append(append([]byte{'{'}, entryKey...), ':'), v...), '}')
		if accepts(m.New(), key, one) {
			continue
		}
		path := "[" + QuoteKey(k) + "]"
		if vd := fd.MapValue(); vd.Message() != nil && !wellKnown(vd.Message()) {
			if sub := messageField(v, m.New().NewField(fd).Map().NewValue().Message()); sub != "" {
				path += "." + sub
			}
		}
		return path
	}
	return ""
}

// accepts reports whether protojson takes value as the field named key of a message like m.
func accepts(m protoreflect.Message, key string, value []byte) bool {
	name, _ := json.Marshal(key)
	body := append(append(append(append([]byte{'{'}, name...), ':'), value...), '}')
	return protojson.Unmarshal(body, m.Interface()) == nil
}

// fieldByName finds a field by either name protojson accepts: its JSON name or its own.
func fieldByName(fields protoreflect.FieldDescriptors, key string) protoreflect.FieldDescriptor {
	if fd := fields.ByJSONName(key); fd != nil {
		return fd
	}
	return fields.ByTextName(key)
}

// wellKnown reports a google.protobuf type, which protojson spells in JSON of its own
// (a Timestamp as a string, a Struct as any object): its value is one field, not a message.
func wellKnown(md protoreflect.MessageDescriptor) bool {
	return md.FullName().Parent() == "google.protobuf"
}

// unknownName spells a key the contract does not know: as sent if it looks like a field name,
// else quoted and cut as a map key is.
func unknownName(key string) string {
	for _, r := range key {
		if !(r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return "[" + QuoteKey(key) + "]"
		}
	}
	if key == "" || len(key) > maxKeyChars {
		return "[" + QuoteKey(key) + "]"
	}
	return key
}
