package domain

import (
	"fmt"
	"time"
)

// Calendar holds a planning cycle's dates. For fiscal year N every date lies
// in year N-1 (the N-1 rule) and they follow the order of the fields.
type Calendar struct {
	SubmissionDeadline    time.Time `json:"submission_deadline"`
	ReviewDeadline        time.Time `json:"review_deadline"`
	RakordaStart          time.Time `json:"rakorda_start"`
	RakordaEnd            time.Time `json:"rakorda_end"`
	ConsolidationDeadline time.Time `json:"consolidation_deadline"`
	MinistryDeadline      time.Time `json:"ministry_deadline"`
	MappingDeadline       time.Time `json:"mapping_deadline"`
}

// CalendarField is one named date of a Calendar, in order.
type CalendarField struct {
	Name string
	At   time.Time
}

// Fields lists the dates in their required order with their JSON names, so
// validation can name the field that is wrong.
func (c Calendar) Fields() []CalendarField {
	return []CalendarField{
		{"submission_deadline", c.SubmissionDeadline},
		{"review_deadline", c.ReviewDeadline},
		{"rakorda_start", c.RakordaStart},
		{"rakorda_end", c.RakordaEnd},
		{"consolidation_deadline", c.ConsolidationDeadline},
		{"ministry_deadline", c.MinistryDeadline},
		{"mapping_deadline", c.MappingDeadline},
	}
}

// Validate enforces the N-1 rule for fiscal year fy: every date set, in year
// fy-1 (in UTC), each after the one before it.
func (c Calendar) Validate(fy int) error {
	var v Validation
	var prev CalendarField
	for i, f := range c.Fields() {
		field := "calendar." + f.Name
		switch {
		case f.At.IsZero():
			v.Add(field, "Tanggal wajib diisi.")
		case f.At.UTC().Year() != fy-1:
			v.Add(field, "Tanggal harus jatuh pada tahun %d (tahun N-1 untuk tahun anggaran %d).", fy-1, fy)
		case i > 0 && !prev.At.IsZero() && !f.At.After(prev.At):
			v.Add(field, "Tanggal harus setelah %s.", prev.Name)
		}
		prev = f
	}
	return v.Err()
}

// CycleID is the public id of a province's cycle for a fiscal year, e.g. "74-2027".
func CycleID(province string, fiscalYear int) string {
	return fmt.Sprintf("%s-%d", province, fiscalYear)
}

// Cycle is a province's planning cycle for one fiscal year.
type Cycle struct {
	ID           string    `json:"id"`
	ProvinceCode string    `json:"province_code"`
	FiscalYear   int       `json:"fiscal_year"`
	Calendar     Calendar  `json:"calendar"`
	Locked       bool      `json:"locked"`
	CreatedBy    string    `json:"created_by"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}
