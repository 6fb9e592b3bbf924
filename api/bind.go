package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
)

// bind decodes a JSON body strictly: unknown fields, trailing data and wrong
// types are 422s that name the field.
func bind(c echo.Context, dst any) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	return decodeStrict(c, body, dst)
}

// bindOptional is bind for endpoints whose body may be left out entirely
// (an action without comment): an empty body leaves dst as it is.
func bindOptional(c echo.Context, dst any) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return decodeStrict(c, body, dst)
}

func readBody(c echo.Context) ([]byte, error) {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge, "Isi permintaan melebihi batas "+MaxBodyBytes+"B.")
		}
		return nil, err
	}
	return body, nil
}

func decodeStrict(c echo.Context, body []byte, dst any) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if !strings.HasPrefix(ct, echo.MIMEApplicationJSON) {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "Content-Type harus application/json.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return invalidField("body", "Ada data tambahan setelah objek JSON.")
	}
	return cleanBody(body, dst)
}

// cleanBody is the one place every text of a JSON body is checked and
// normalised (domain.CleanText): every string field of dst, at any depth,
// and the JSON strings kept raw (json.RawMessage) for decoding later. A
// field is multi-line (line feeds and tabs allowed) when tagged
// `text:"multiline"`. Refusals are 422s naming each field
// ("indicators[1].name").
//
// encoding/json replaces bytes that are not UTF-8 with U+FFFD while it
// decodes, so when the body itself is not valid UTF-8 the fields holding
// U+FFFD are the ones that had them.
func cleanBody(body []byte, dst any) error {
	var v domain.Validation
	w := textWalker{v: &v, badUTF8: !utf8.Valid(body)}
	w.walk(reflect.ValueOf(dst), "", false)
	if w.badUTF8 && !w.reportedUTF8 {
		v.Add("body", "%s", domain.MsgNotUTF8)
	}
	return v.Err()
}

type textWalker struct {
	v            *domain.Validation
	badUTF8      bool
	reportedUTF8 bool
}

var rawMessageType = reflect.TypeOf(json.RawMessage(nil))

func (w *textWalker) walk(val reflect.Value, path string, multiline bool) {
	switch val.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !val.IsNil() {
			if val.Kind() == reflect.Interface && val.Elem().Kind() == reflect.String {
				w.check(val.Elem().String(), path, multiline) // not settable: checked only
				return
			}
			w.walk(val.Elem(), path, multiline)
		}
	case reflect.Struct:
		t := val.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			p := name
			if f.Anonymous && f.Tag.Get("json") == "" {
				p = path // embedded: its fields are the parent's
			} else if path != "" {
				p = path + "." + name
			}
			w.walk(val.Field(i), p, f.Tag.Get("text") == "multiline")
		}
	case reflect.Slice, reflect.Array:
		if val.Type() == rawMessageType {
			w.raw(val, path, multiline)
			return
		}
		if val.Type().Elem().Kind() == reflect.Uint8 {
			return // bytes, not text
		}
		for i := range val.Len() {
			w.walk(val.Index(i), fmt.Sprintf("%s[%d]", path, i), multiline)
		}
	case reflect.Map:
		for _, k := range val.MapKeys() {
			p := fmt.Sprintf("%s.%v", path, k)
			if k.Kind() == reflect.String {
				w.check(k.String(), p, false)
			}
			e := val.MapIndex(k)
			if e.Kind() == reflect.String {
				if clean, ok := w.check(e.String(), p, multiline); ok {
					val.SetMapIndex(k, reflect.ValueOf(clean).Convert(e.Type()))
				}
				continue
			}
			w.walk(e, p, multiline)
		}
	case reflect.String:
		if clean, ok := w.check(val.String(), path, multiline); ok && val.CanSet() {
			val.SetString(clean)
		}
	}
}

// raw checks a json.RawMessage holding a JSON string and rewrites it
// normalised; other JSON values are left to the handler that decodes them.
func (w *textWalker) raw(val reflect.Value, path string, multiline bool) {
	b := val.Bytes()
	if len(b) == 0 || b[0] != '"' {
		return
	}
	var s string
	if json.Unmarshal(b, &s) != nil {
		return
	}
	if clean, ok := w.check(s, path, multiline); ok && clean != s && val.CanSet() {
		out, _ := json.Marshal(clean)
		val.SetBytes(out)
	}
}

func (w *textWalker) check(s, path string, multiline bool) (string, bool) {
	if path == "" {
		path = "body"
	}
	if w.badUTF8 && strings.ContainsRune(s, utf8.RuneError) {
		w.v.Add(path, "%s", domain.MsgNotUTF8)
		w.reportedUTF8 = true
		return s, false
	}
	clean, problem := domain.CleanText(s, multiline)
	if problem != "" {
		w.v.Add(path, "%s", problem)
		return s, false
	}
	return clean, true
}

// invalidField is a 422 naming one field.
func invalidField(field, format string, args ...any) error {
	var v domain.Validation
	v.Add(field, format, args...)
	return v.Err()
}

func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	fe := domain.FieldError{Field: "body", Message: "JSON tidak dapat dibaca."}
	switch {
	case errors.As(err, &syn):
		fe.Message = fmt.Sprintf("JSON rusak di posisi %d.", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			fe.Field = typ.Field
		}
		fe.Message = fmt.Sprintf("Harus bertipe %s.", jsonTypeName(typ.Type.Kind().String()))
		if typ.Value == "number" && isInteger(typ.Type.Kind().String()) {
			fe.Message = "Harus bilangan bulat dalam batas yang wajar (tanpa pecahan)."
		}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		if name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`); name != "" {
			fe.Field = name // else "body": a key with no name is still this body's fault
		}
		fe.Message = "Kolom tidak dikenal; periksa ejaan nama kolom."
	case errors.Is(err, io.EOF):
		fe.Message = "Isi permintaan kosong."
	case errors.Is(err, io.ErrUnexpectedEOF):
		fe.Message = "JSON terpotong: objek belum ditutup."
	}
	return &domain.Error{Code: domain.EINVALID, Message: "Data JSON tidak valid.", Fields: []domain.FieldError{fe}}
}

func isInteger(kind string) bool {
	switch kind {
	case "int", "int64", "int32", "int16", "int8", "uint", "uint64", "uint32":
		return true
	}
	return false
}

func jsonTypeName(kind string) string {
	switch {
	case kind == "string":
		return "teks"
	case isInteger(kind):
		return "bilangan bulat"
	case kind == "float64" || kind == "float32":
		return "angka"
	case kind == "bool":
		return "boolean"
	case kind == "slice":
		return "daftar"
	case kind == "struct" || kind == "map" || kind == "ptr":
		return "objek"
	}
	return kind
}

// queryInt reads an optional integer query parameter within [lo, hi].
func queryInt(c echo.Context, name string, lo, hi, def int) (int, error) {
	raw := c.QueryParam(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, invalidField(name, "Harus bilangan bulat antara %d dan %d.", lo, hi)
	}
	return n, nil
}

// encodeCursor makes a keyset opaque for clients: they pass it back, they
// do not build it.
func encodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads the cursor query parameter into dst; false when absent.
func decodeCursor(c echo.Context, dst any) (bool, error) {
	raw := c.QueryParam("cursor")
	if raw == "" {
		return false, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		err = dec.Decode(dst)
	}
	if err != nil {
		return false, invalidField("cursor", "Kursor tidak dikenal; gunakan next_cursor dari halaman sebelumnya.")
	}
	return true, nil
}

// cleanQuery is the same hygiene for the URL, applied to every request
// before routing: a query parameter with a control character or bytes that
// are not UTF-8 is a 422 naming it, the others are rewritten in NFC (so a
// search compares what the database stores); a path holding such
// characters names nothing that exists (404), and never reaches a query
// (PostgreSQL refuses NUL with an error, not an empty result).
func cleanQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if _, problem := domain.CleanText(req.URL.Path, false); problem != "" {
			return echo.ErrNotFound
		}
		if req.URL.RawQuery == "" {
			return next(c)
		}
		q, err := url.ParseQuery(req.URL.RawQuery)
		if err != nil {
			return invalidField("query", "Parameter URL tidak dapat dibaca.")
		}
		var v domain.Validation
		changed := false
		for name, vals := range q {
			if _, problem := domain.CleanText(name, false); problem != "" {
				v.Add("query", "%s", problem)
				continue
			}
			for i, val := range vals {
				clean, problem := domain.CleanText(val, false)
				if problem != "" {
					v.Add(name, "%s", problem)
					continue
				}
				if clean != val {
					vals[i], changed = clean, true
				}
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		if changed {
			req.URL.RawQuery = q.Encode()
		}
		return next(c)
	}
}
