package minutes

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"strings"
)

// Text returns the text a PDF written by Render shows, one line per text
// operation (a table cell's line, a heading), in drawing order. It is a
// deliberately small reader, enough for what fpdf writes with its core
// fonts (Flate-compressed or plain content streams, literal strings shown
// with Tj, cp1252); tests use it to prove the minutes list what they must,
// and it fails loudly on anything else rather than guess.
func Text(pdf []byte) ([]string, error) {
	var lines []string
	rest := pdf
	for {
		i := bytes.Index(rest, []byte("stream"))
		if i < 0 {
			break
		}
		dict := rest[:i]
		if d := bytes.LastIndex(dict, []byte("<<")); d >= 0 {
			dict = dict[d:]
		}
		body := rest[i+len("stream"):]
		if bytes.HasPrefix(body, []byte("\r\n")) {
			body = body[2:]
		} else if bytes.HasPrefix(body, []byte("\n")) {
			body = body[1:]
		}
		// The data is /Length bytes long: compressed data may itself end
		// in bytes that look like line ends.
		n, ok := streamLength(dict)
		if !ok || n > len(body) {
			return nil, fmt.Errorf("pdf: stream without a usable /Length")
		}
		data := body[:n]
		end := bytes.Index(body[n:], []byte("endstream"))
		if end < 0 {
			return nil, fmt.Errorf("pdf: stream without endstream")
		}
		rest = body[n+end+len("endstream"):]
		if bytes.Contains(dict, []byte("/FlateDecode")) {
			zr, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				continue // not a content stream we can read (an image, a font)
			}
			dec, err := io.ReadAll(zr)
			if err != nil {
				return nil, fmt.Errorf("pdf: inflate stream: %w", err)
			}
			data = dec
		}
		if !bytes.Contains(data, []byte("Tj")) {
			continue
		}
		got, err := showText(data)
		if err != nil {
			return nil, err
		}
		lines = append(lines, got...)
	}
	return lines, nil
}

// streamLength reads the direct /Length of a stream dictionary.
func streamLength(dict []byte) (int, bool) {
	i := bytes.Index(dict, []byte("/Length "))
	if i < 0 {
		return 0, false
	}
	n, ok := 0, false
	for _, c := range dict[i+len("/Length "):] {
		if c < '0' || c > '9' {
			break
		}
		n, ok = n*10+int(c-'0'), true
	}
	return n, ok
}

// showText returns the literal strings of a content stream's Tj operators.
func showText(data []byte) ([]string, error) {
	var out []string
	for i := 0; i < len(data); i++ {
		if data[i] != '(' {
			continue
		}
		s, next, err := literal(data, i)
		if err != nil {
			return nil, err
		}
		j := next
		for j < len(data) && (data[j] == ' ' || data[j] == '\n' || data[j] == '\r') {
			j++
		}
		if bytes.HasPrefix(data[j:], []byte("Tj")) {
			out = append(out, cp1252(s))
		}
		i = next - 1
	}
	return out, nil
}

// literal parses the PDF literal string starting at data[i] == '('.
func literal(data []byte, i int) ([]byte, int, error) {
	var b []byte
	depth := 0
	for j := i; j < len(data); j++ {
		c := data[j]
		switch {
		case c == '\\' && j+1 < len(data):
			j++
			switch e := data[j]; e {
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case '0', '1', '2', '3', '4', '5', '6', '7':
				v, k := 0, 0
				for k < 3 && j < len(data) && data[j] >= '0' && data[j] <= '7' {
					v = v*8 + int(data[j]-'0')
					j++
					k++
				}
				j--
				b = append(b, byte(v))
			default:
				b = append(b, e)
			}
		case c == '(':
			if depth > 0 {
				b = append(b, c)
			}
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return b, j + 1, nil
			}
			b = append(b, c)
		default:
			b = append(b, c)
		}
	}
	return nil, 0, fmt.Errorf("pdf: unterminated string")
}

// cp1252high maps the bytes 0x80-0x9F of Windows-1252 that differ from
// Latin-1; the rest of the code page is Latin-1.
var cp1252high = map[byte]rune{
	0x80: '€', 0x82: '‚', 0x83: 'ƒ', 0x84: '„', 0x85: '…', 0x86: '†', 0x87: '‡', 0x88: 'ˆ', 0x89: '‰',
	0x8A: 'Š', 0x8B: '‹', 0x8C: 'Œ', 0x8E: 'Ž', 0x91: '‘', 0x92: '’', 0x93: '“', 0x94: '”', 0x95: '•',
	0x96: '–', 0x97: '—', 0x98: '˜', 0x99: '™', 0x9A: 'š', 0x9B: '›', 0x9C: 'œ', 0x9E: 'ž', 0x9F: 'Ÿ',
}

func cp1252(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if r, ok := cp1252high[c]; ok {
			sb.WriteRune(r)
		} else {
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}
