// Package minutes renders the berita acara (minutes) of a Rakorda as a
// PDF: who attended, the decision taken on every proposal with its reason,
// and the numbered agreements (kesepakatan), in the form the provincial
// secretariat signs and files. Its input is store.RakordaRecord, read from
// the projection, so the minutes say exactly what the workflows recorded.
package minutes

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

// Options change what does not come from the record.
type Options struct {
	// GeneratedAt is printed as the date the minutes were drawn up and set
	// as the PDF's creation date; zero means now.
	GeneratedAt time.Time
}

// Filename is the name under which the minutes of a cycle are downloaded.
func Filename(cycleID string) string { return "berita-acara-rakorda-" + cycleID + ".pdf" }

// DecisionLabel is how the minutes name a Rakorda decision.
func DecisionLabel(a domain.Action) string {
	switch a {
	case domain.ActionAccept:
		return "DITERIMA"
	case domain.ActionDefer:
		return "DITUNDA"
	case domain.ActionReject:
		return "DITOLAK"
	}
	return strings.ToUpper(string(a))
}

var months = [...]string{"Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"}

// tanggal writes a date the Indonesian way, in zone: "23 November 2026".
func tanggal(t time.Time, zone *time.Location) string {
	t = t.In(zone)
	return fmt.Sprintf("%d %s %d", t.Day(), months[t.Month()-1], t.Year())
}

// waktu writes an instant in zone, named: "1 April 2026 09.00 WITA". The
// minutes are signed in the province, so its clock is the one that counts.
func waktu(t time.Time, zone *time.Location) string {
	l := t.In(zone)
	return tanggal(t, zone) + " " + l.Format("15.04") + " " + l.Format("MST")
}

// Render writes the minutes of rec to w.
func Render(w io.Writer, rec store.RakordaRecord, opts Options) error {
	gen := opts.GeneratedAt
	if gen.IsZero() {
		gen = time.Now()
	}
	gen = gen.UTC()
	r := newRenderer(gen)
	r.zone = domain.ZoneOf(rec.Cycle.ProvinceCode)
	r.document(rec, gen)
	if err := r.pdf.Error(); err != nil {
		return fmt.Errorf("render minutes: %w", err)
	}
	return r.pdf.Output(w)
}

const (
	margin    = 18.0
	lineH     = 5.0
	cellPad   = 1.5
	bodySize  = 10.0
	smallSize = 8.5
)

type renderer struct {
	pdf    *fpdf.Fpdf
	tr     func(string) string
	zone   *time.Location // the province's: every time printed is in it
	width  float64        // usable width
	bottom float64        // lowest y a row may reach
}

func newRenderer(gen time.Time) *renderer {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, margin+5)
	pdf.SetCreationDate(gen)
	pdf.SetModificationDate(gen)
	pdf.AliasNbPages("")
	pw, ph := pdf.GetPageSize()
	r := &renderer{pdf: pdf, tr: pdf.UnicodeTranslatorFromDescriptor(""), width: pw - 2*margin, bottom: ph - margin - 5}
	return r
}

func (r *renderer) document(rec store.RakordaRecord, gen time.Time) {
	pdf, c := r.pdf, rec.Cycle
	province := rec.ProvinceName
	if province == "" {
		province = c.ProvinceCode
	}
	pdf.SetTitle(fmt.Sprintf("Berita Acara Rakorda %s Tahun Anggaran %d", province, c.FiscalYear), true)
	pdf.SetCreator("rencana", true)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-margin)
		pdf.SetFont("Helvetica", "I", smallSize)
		pdf.CellFormat(0, lineH, r.tr(fmt.Sprintf("Berita Acara Rakorda siklus %s - halaman %d dari {nb}", c.ID, pdf.PageNo())), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()

	pdf.SetFont("Helvetica", "B", 13)
	for _, line := range []string{
		"BERITA ACARA",
		"RAPAT KOORDINASI DAERAH (RAKORDA)",
		"PERENCANAAN PEMBANGUNAN KOPERASI DAN UKM",
		"PROVINSI " + strings.ToUpper(province),
		fmt.Sprintf("TAHUN ANGGARAN %d", c.FiscalYear),
	} {
		pdf.CellFormat(0, 6.5, r.tr(line), "", 1, "C", false, 0, "")
	}
	pdf.SetFont("Helvetica", "", bodySize)
	pdf.CellFormat(0, lineH, r.tr("Nomor: ............................................"), "", 1, "C", false, 0, "")
	pdf.Ln(4)

	accepted, deferred, rejected := tally(rec.Decisions, domain.ActionAccept), tally(rec.Decisions, domain.ActionDefer), tally(rec.Decisions, domain.ActionReject)
	decidedKab := map[string]bool{}
	for _, d := range rec.Decisions {
		decidedKab[d.KabKotaCode] = true
	}
	r.paragraph(fmt.Sprintf(
		"Rapat Koordinasi Daerah (Rakorda) perencanaan pembangunan koperasi dan UKM Provinsi %s untuk tahun anggaran %d "+
			"(siklus %s) dibuka pada %s dan ditutup pada %s. Rakorda membahas %d usulan dari %d kabupaten/kota "+
			"dan mengambil keputusan serta kesepakatan sebagaimana tercantum di bawah ini.",
		province, c.FiscalYear, c.ID, waktu(c.Calendar.RakordaStart, r.zone), waktu(c.Calendar.RakordaEnd, r.zone),
		len(rec.Decisions)+rec.Undecided.Count, len(decidedKab)))
	pdf.Ln(2)

	r.heading("I. DAFTAR HADIR")
	if len(c.Attendance) == 0 {
		r.paragraph("Daftar hadir tidak dicatat.")
	} else {
		rows := make([][]string, len(c.Attendance))
		for i, a := range c.Attendance {
			rows[i] = []string{fmt.Sprint(a.Number), a.Name, a.Position, a.Institution}
		}
		r.table([]column{{"No", 10, "C"}, {"Nama", 55, "L"}, {"Jabatan", 55, "L"}, {"Instansi", r.width - 120, "L"}}, rows)
	}
	pdf.Ln(3)

	r.heading("II. KEPUTUSAN ATAS USULAN")
	if len(rec.Decisions) == 0 {
		r.paragraph("Belum ada keputusan atas usulan.")
	}
	// The proposal's id heads its cell, on a line of its own, so ids of any
	// length stay whole and can be searched for in the PDF.
	cols := []column{{"No", 8, "C"}, {"Usulan (ID, judul, wilayah)", 70, "L"}, {"Pagu Usulan", 25, "R"}, {"Keputusan", 19, "C"}, {"Catatan", r.width - 122, "L"}}
	n := 0
	for start := 0; start < len(rec.Decisions); {
		end := start
		for end < len(rec.Decisions) && rec.Decisions[end].KabKotaCode == rec.Decisions[start].KabKotaCode {
			end++
		}
		group := rec.Decisions[start:end]
		name := group[0].KabKotaName
		if name == "" {
			name = group[0].KabKotaCode
		}
		var total int64
		rows := make([][]string, len(group))
		for i, d := range group {
			n++
			total += d.AmountIDR
			where := d.RegionCode
			if d.RegionName != "" {
				where = d.RegionName + " (" + d.RegionCode + ")"
			}
			note := d.Comment
			if note == "" {
				note = "-"
			}
			rows[i] = []string{fmt.Sprint(n), d.ProposalID + "\n" + d.Title + "\n" + where, rupiah(d.AmountIDR), DecisionLabel(d.Decision),
				note + "\n(" + d.Actor.Username + ", " + waktu(d.At, r.zone) + ")"}
		}
		r.subheading(fmt.Sprintf("%s (%s): %d usulan, pagu usulan %s", name, group[0].KabKotaCode, len(group), rupiah(total)))
		r.table(cols, rows)
		pdf.Ln(2)
		start = end
	}
	r.paragraph(fmt.Sprintf("Rekapitulasi keputusan: diterima %d usulan (%s), ditunda %d usulan (%s), ditolak %d usulan (%s).",
		accepted.n, rupiah(accepted.sum), deferred.n, rupiah(deferred.sum), rejected.n, rupiah(rejected.sum)))
	pdf.Ln(3)

	r.heading("III. KESEPAKATAN")
	if len(c.Agreements) == 0 {
		r.paragraph("Tidak ada kesepakatan yang dicatat.")
	}
	for _, a := range c.Agreements {
		r.numbered(fmt.Sprintf("%d.", a.Number), a.Text)
	}
	pdf.Ln(3)

	if rec.Undecided.Count > 0 {
		r.heading("IV. USULAN BELUM DIPUTUSKAN")
		rows := [][]string{}
		i := 0
		for _, g := range rec.Undecided.Groups {
			for _, p := range g.Proposals {
				i++
				rows = append(rows, []string{fmt.Sprint(i), p.ID + "\n" + p.Title + "\n" + p.RegionCode, rupiah(p.AmountIDR)})
			}
		}
		r.table([]column{{"No", 8, "C"}, {"Usulan (ID, judul, wilayah)", r.width - 43, "L"}, {"Pagu Usulan", 35, "R"}}, rows)
		pdf.Ln(3)
	}

	r.paragraph("Demikian berita acara ini dibuat dengan sebenarnya untuk dipergunakan sebagaimana mestinya.")
	pdf.Ln(4)
	if pdf.GetY()+40 > r.bottom {
		pdf.AddPage()
	}
	x := margin + r.width/2
	for _, line := range []string{
		"Ditetapkan pada " + tanggal(gen, r.zone),
		"Pimpinan Rakorda,",
		"Kepala Dinas Koperasi dan UKM",
		"Provinsi " + province,
		"", "", "",
		"( ...................................................... )",
		"NIP. ",
	} {
		pdf.SetX(x)
		pdf.CellFormat(r.width/2, lineH, r.tr(line), "", 1, "C", false, 0, "")
	}
}

type count struct {
	n   int
	sum int64
}

func tally(ds []store.RakordaDecision, a domain.Action) count {
	var c count
	for _, d := range ds {
		if d.Decision == a {
			c.n++
			c.sum += d.AmountIDR
		}
	}
	return c
}

func rupiah(v int64) string { return domain.FormatRupiah(v) }

func (r *renderer) heading(s string) {
	r.pdf.SetFont("Helvetica", "B", 11)
	r.pdf.CellFormat(0, 7, r.tr(s), "", 1, "L", false, 0, "")
	r.pdf.SetFont("Helvetica", "", bodySize)
}

func (r *renderer) subheading(s string) {
	if r.pdf.GetY()+3*lineH > r.bottom {
		r.pdf.AddPage()
	}
	r.pdf.SetFont("Helvetica", "B", bodySize)
	r.pdf.MultiCell(0, lineH, r.tr(s), "", "L", false)
	r.pdf.SetFont("Helvetica", "", bodySize)
}

func (r *renderer) paragraph(s string) {
	r.pdf.SetFont("Helvetica", "", bodySize)
	r.pdf.MultiCell(0, lineH, r.tr(s), "", "J", false)
}

// numbered writes label and a hanging-indented paragraph.
func (r *renderer) numbered(label, text string) {
	pdf := r.pdf
	const indent = 9.0
	lines := r.wrap(r.tr(text), r.width-indent)
	for i, l := range lines {
		if pdf.GetY()+lineH > r.bottom {
			pdf.AddPage()
		}
		pdf.SetX(margin)
		if i == 0 {
			pdf.CellFormat(indent, lineH, r.tr(label), "", 0, "L", false, 0, "")
		} else {
			pdf.SetX(margin + indent)
		}
		pdf.CellFormat(r.width-indent, lineH, l, "", 1, "L", false, 0, "")
	}
}

type column struct {
	title string
	width float64
	align string
}

// table draws a bordered table whose rows grow to fit wrapped text and
// never split across pages; the header is repeated on every page.
func (r *renderer) table(cols []column, rows [][]string) {
	pdf := r.pdf
	header := func() {
		pdf.SetFont("Helvetica", "B", smallSize)
		pdf.SetFillColor(225, 225, 225)
		for _, c := range cols {
			pdf.CellFormat(c.width, lineH+1, r.tr(c.title), "1", 0, "C", true, 0, "")
		}
		pdf.Ln(-1)
		pdf.SetFont("Helvetica", "", smallSize)
	}
	if pdf.GetY()+2*(lineH+1) > r.bottom {
		pdf.AddPage()
	}
	header()
	const rowLine = 4.0
	for _, row := range rows {
		cells := make([][]string, len(cols))
		lines := 1
		for i, c := range cols {
			cells[i] = r.wrap(r.tr(row[i]), c.width-2*cellPad)
			lines = max(lines, len(cells[i]))
		}
		h := float64(lines)*rowLine + 2*cellPad
		if pdf.GetY()+h > r.bottom {
			pdf.AddPage()
			header()
		}
		x, y := margin, pdf.GetY()
		for i, c := range cols {
			pdf.Rect(x, y, c.width, h, "D")
			for j, l := range cells[i] {
				pdf.SetXY(x+cellPad, y+cellPad+float64(j)*rowLine)
				pdf.CellFormat(c.width-2*cellPad, rowLine, l, "", 0, c.align, false, 0, "")
			}
			x += c.width
		}
		pdf.SetXY(margin, y+h)
	}
}

// wrap splits already translated (cp1252) text into lines that fit width
// in the current font, at spaces, breaking words that are too long by
// themselves; "\n" forces a break. fpdf's SplitText works on runes and
// cannot measure cp1252 bytes, hence this.
func (r *renderer) wrap(text string, width float64) []string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			for r.pdf.GetStringWidth(word) > width {
				// Cut the longest prefix that fits.
				cut := len(word) - 1
				for cut > 1 && r.pdf.GetStringWidth(word[:cut]) > width {
					cut--
				}
				if line != "" {
					out = append(out, line)
					line = ""
				}
				out = append(out, word[:cut])
				word = word[cut:]
			}
			switch {
			case line == "":
				line = word
			case r.pdf.GetStringWidth(line+" "+word) <= width:
				line += " " + word
			default:
				out = append(out, line)
				line = word
			}
		}
		out = append(out, line)
	}
	return out
}
