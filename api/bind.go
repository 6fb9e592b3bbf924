package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

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
	return nil
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
