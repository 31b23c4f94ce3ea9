package scubagear

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/reckonhq/reckon"
)

// MaxBodyBytes is the largest report Decode reads: 16 MiB. ScubaGear's
// published sample reports are 1.4–1.9 MB, about two thirds of it the Raw
// configuration export, which grows with the tenant (users, policies,
// domains); 16 MiB leaves room for tenants ten times that size while a
// hostile body is refused after a bounded read.
const MaxBodyBytes = 16 << 20

// Bounds of the text kept from a report, in characters, within what an
// evidence snapshot accepts. Longer texts are cut with "…"; a longer control
// id, tenant id or report id is refused, since an id cannot be shortened.
const (
	MaxTitleRunes     = 512  // Requirement; the longest seen is 451
	MaxDetailRunes    = 4000 // Details; the longest seen is 674
	MaxLabelRunes     = 128  // product, group and tool version
	MaxControlIDRunes = 128  // Control ID
	MaxIDRunes        = 200  // MetaData.TenantId and MetaData.ReportUUID
)

// maxProblems bounds how many validation problems one error lists.
const maxProblems = 20

// statuses maps a normalised ScubaGear Result to a finding status.
var statuses = map[string]reckon.FindingStatus{
	"pass":    reckon.FindingPass,
	"fail":    reckon.FindingFail,
	"warning": reckon.FindingWarning,
	"n/a":     reckon.FindingNotApplicable,
	// The control was left out by the operator's ScubaGear configuration
	// (OmitPolicy); the report keeps the would-be result aside.
	"omitted": reckon.FindingNotApplicable,
	// The operator's configuration marks the tool's result as wrong
	// (AnnotatePolicy IncorrectResult): neither a proven pass nor a
	// proven failure, so it asks for a look.
	"incorrect result":             reckon.FindingWarning,
	"error":                        reckon.FindingError,
	"error - test results missing": reckon.FindingError,
}

// severities maps a normalised ScubaGear Criticality to a severity. Shall is
// a requirement, Should a recommendation. The /Not-Implemented and
// /3rd Party variants are controls ScubaGear cannot check itself (always
// reported N/A, to check by hand), so they rank lower: they carry no
// evidence of a problem, only a reminder. "-" is written when the tool has
// no criticality for a control (its test result is missing).
var severities = map[string]reckon.Severity{
	"shall":                  reckon.SeverityHigh,
	"should":                 reckon.SeverityMedium,
	"shall/not-implemented":  reckon.SeverityLow,
	"shall/3rd party":        reckon.SeverityLow,
	"should/not-implemented": reckon.SeverityInfo,
	"should/3rd party":       reckon.SeverityInfo,
	"-":                      reckon.SeverityInfo,
}

// normalize makes a Result or Criticality value comparable: case and runs
// of white space do not matter.
func normalize(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// Decode reads a ScubaGear report (ScubaResults_*.json) and returns it as an
// evidence snapshot input; the mapping is documented in the package.
//
// Errors are *reckon.Error: CodeTooLarge past MaxBodyBytes, CodeMalformed
// for a body that is not JSON (with the position of the error), and
// CodeValidation for JSON that is not a usable report (an unknown Result
// or Criticality, a missing field, a duplicate control id), naming the
// field and the control. Only a failing reader gives an uncoded error.
func Decode(r io.Reader) (reckon.SnapshotInput, error) { return decode(r, MaxBodyBytes) }

func decode(r io.Reader, limit int64) (reckon.SnapshotInput, error) {
	src := newSource(r, limit)
	dec := jsontext.NewDecoder(src, jsontext.AllowInvalidUTF8(true))
	var probs problems
	rep, err := readReport(dec, &probs)
	if err != nil {
		return reckon.SnapshotInput{}, src.explain(err)
	}
	in := rep.snapshot(&probs)
	if err := probs.err(); err != nil {
		return reckon.SnapshotInput{}, err
	}
	return in, nil
}

// report is what Decode keeps of a ScubaGear report.
type report struct {
	meta     *metaData
	products []product
	// annotated is AnnotatedFailedPolicies (1.6+): control id → the
	// operator's annotation of a failing control.
	annotated map[string]annotatedPolicy
	// unknown lists top-level members reckon does not read or skip by
	// name, to name them when the report has no Results.
	unknown []string
}

// annotatedPolicy is one entry of AnnotatedFailedPolicies; null is how
// ScubaGear writes an empty comment or date.
type annotatedPolicy struct {
	Comment         *string `json:"Comment"`
	RemediationDate *string `json:"RemediationDate"`
	IncorrectResult *bool   `json:"IncorrectResult"`
}

type metaData struct {
	TenantID      string `json:"TenantId"`
	ToolVersion   string `json:"ToolVersion"`
	TimestampZulu string `json:"TimestampZulu"`
	ReportUUID    string `json:"ReportUUID"`
}

type product struct {
	name   string
	groups []group
}

type group struct {
	GroupName string    `json:"GroupName"`
	Controls  []control `json:"Controls"`
}

type control struct {
	ID          string `json:"'Control ID'"`
	Requirement string `json:"Requirement"`
	Result      string `json:"Result"`
	Criticality string `json:"Criticality"`
	Details     string `json:"Details"`
	// 1.7 and later: the operator's comments and resolution date, and the
	// result before the operator's configuration changed it.
	Comments        []string `json:"Comments"`
	ResolutionDate  *string  `json:"ResolutionDate"`
	OriginalResult  *string  `json:"OriginalResult"`
	OriginalDetails *string  `json:"OriginalDetails"`
}

var (
	pointerMetaData  = jsontext.Pointer("/MetaData")
	pointerResults   = jsontext.Pointer("/Results")
	pointerAnnotated = jsontext.Pointer("/AnnotatedFailedPolicies")
)

// skipped are the top-level members Decode knows and does not need.
var skipped = map[string]bool{"Summary": true, "Raw": true}

// readReport streams the top-level object: MetaData, AnnotatedFailedPolicies
// and Results are decoded, every other member (Raw, Summary, …) is skipped
// token by token and never held. It returns syntax and read errors; shape
// problems go to probs.
func readReport(dec *jsontext.Decoder, probs *problems) (*report, error) {
	if k := dec.PeekKind(); k != '{' && k != 0 {
		if err := dec.SkipValue(); err != nil {
			return nil, err
		}
		if err := skipRest(dec); err != nil {
			return nil, err
		}
		return nil, errNotReport
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	rep := &report{}
	for {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		if tok.Kind() == '}' {
			break
		}
		switch tok.String() {
		case "MetaData":
			var m metaData
			if err := readValue(dec, pointerMetaData, &m, probs); err != nil {
				return nil, err
			}
			rep.meta = &m
		case "Results":
			if rep.products, err = readResults(dec, probs); err != nil {
				return nil, err
			}
		case "AnnotatedFailedPolicies":
			if err := readValue(dec, pointerAnnotated, &rep.annotated, probs); err != nil {
				return nil, err
			}
		default:
			// A newer ScubaGear may add sections: they are skipped, and
			// named only if the report lacks the Results it must have.
			if name := tok.String(); !skipped[name] && len(rep.unknown) < maxProblems {
				rep.unknown = append(rep.unknown, clip(name, 64))
			}
			if err := dec.SkipValue(); err != nil {
				return nil, err
			}
		}
	}
	return rep, skipRest(dec)
}

// skipRest reads to the end of the input, which may hold nothing but white
// space after the report.
func skipRest(dec *jsontext.Decoder) error {
	if _, err := dec.ReadToken(); err != io.EOF {
		if err == nil {
			return errTrailing{offset: dec.InputOffset()}
		}
		return err
	}
	return nil
}

// errNotReport is a JSON body that is not an object.
var errNotReport = errors.New("scubagear: the body is not a JSON object")

// errTrailing is content after the report's closing brace.
type errTrailing struct{ offset int64 }

func (e errTrailing) Error() string {
	return fmt.Sprintf("scubagear: content after the report at offset %d", e.offset)
}

// readResults streams Results: product name → list of groups.
func readResults(dec *jsontext.Decoder, probs *problems) ([]product, error) {
	if dec.PeekKind() != '{' {
		probs.add(string(pointerResults), "scubagear.wrong_shape", "field", string(pointerResults))
		return nil, dec.SkipValue()
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	var products []product
	for {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		if tok.Kind() == '}' {
			return products, nil
		}
		p := product{name: tok.String()}
		if err := readValue(dec, pointerResults.AppendToken(p.name), &p.groups, probs); err != nil {
			return nil, err
		}
		products = append(products, p)
	}
}

// readValue reads the next value into v. A value of the wrong shape is a
// problem at its JSON pointer, not an error; syntax and read errors are.
func readValue(dec *jsontext.Decoder, at jsontext.Pointer, v any, probs *problems) error {
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v, jsontext.AllowInvalidUTF8(true)); err != nil {
		field := at
		var se *json.SemanticError
		if errors.As(err, &se) {
			field += se.JSONPointer
			if found, want := kindName(se.JSONKind), typeName(se.GoType); found != "" && want != "" {
				probs.add(string(field), "scubagear.wrong_type", "field", string(field), "found", found, "want", want)
				return nil
			}
		}
		probs.add(string(field), "scubagear.wrong_shape", "field", string(field))
	}
	return nil
}

// kindName names a JSON value kind by its JSON type, a term the same in
// every language of the messages.
func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "boolean"
	case '"':
		return "string"
	case '0':
		return "number"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return ""
}

// typeName names the JSON type a report field must have, by the Go type it
// is read into.
func typeName(t reflect.Type) string {
	if t == nil {
		return ""
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice:
		return "array"
	}
	return ""
}

// snapshot maps the report to a snapshot input, recording every problem.
func (rep *report) snapshot(probs *problems) reckon.SnapshotInput {
	var in reckon.SnapshotInput
	in.Source.Format = reckon.SnapshotFormatScubaGear
	if rep.meta == nil {
		probs.add(string(pointerMetaData), "scubagear.missing", "field", string(pointerMetaData))
	} else {
		rep.meta.source(&in, probs)
	}
	if rep.products == nil && !probs.has(string(pointerResults)) {
		if len(rep.unknown) > 0 {
			// Most likely a ScubaGear release that moved the results.
			probs.add(string(pointerResults), "scubagear.unknown_sections", "field", string(pointerResults),
				"sections", strings.Join(rep.unknown, ", "), "version", rep.toolVersion())
		} else {
			probs.add(string(pointerResults), "scubagear.missing", "field", string(pointerResults))
		}
	}
	seen := map[string]string{} // control id → pointer of its first occurrence
	for _, p := range rep.products {
		for gi, g := range p.groups {
			for ci, c := range g.Controls {
				at := fmt.Sprintf("%s/%d/Controls/%d", pointerResults.AppendToken(p.name), gi, ci)
				if f, ok := c.finding(at, seen, probs); ok {
					f.Product = plainText(p.name, MaxLabelRunes)
					f.Group = plainText(g.GroupName, MaxLabelRunes)
					c.annotate(&f, rep.annotated[f.ControlID], at, probs)
					in.Findings = append(in.Findings, f)
				}
			}
		}
	}
	if rep.products != nil && len(in.Findings) == 0 && len(probs.order) == 0 {
		probs.add(string(pointerResults), "scubagear.no_controls")
	}
	return in
}

// toolVersion is the report's ToolVersion, or "?" when it has none.
func (rep *report) toolVersion() string {
	if rep.meta == nil || strings.TrimSpace(rep.meta.ToolVersion) == "" {
		return "?"
	}
	return clip(strings.TrimSpace(rep.meta.ToolVersion), MaxLabelRunes)
}

// source fills the captured time and the snapshot source from MetaData.
func (m *metaData) source(in *reckon.SnapshotInput, probs *problems) {
	tenant := strings.TrimSpace(m.TenantID)
	switch {
	case tenant == "":
		probs.add("/MetaData/TenantId", "scubagear.missing", "field", "/MetaData/TenantId")
	case utf8.RuneCountInString(tenant) > MaxIDRunes:
		probs.add("/MetaData/TenantId", "scubagear.too_long", "field", "/MetaData/TenantId", "max", MaxIDRunes)
	}
	stamp := strings.TrimSpace(m.TimestampZulu)
	if stamp == "" {
		probs.add("/MetaData/TimestampZulu", "scubagear.missing", "field", "/MetaData/TimestampZulu")
	} else if t, err := time.Parse(time.RFC3339Nano, stamp); err != nil || t.IsZero() {
		probs.add("/MetaData/TimestampZulu", "scubagear.bad_time", "value", clip(stamp, 64))
	} else {
		in.CapturedAt = t.UTC().Truncate(time.Microsecond)
	}
	id := strings.TrimSpace(m.ReportUUID)
	if utf8.RuneCountInString(id) > MaxIDRunes {
		probs.add("/MetaData/ReportUUID", "scubagear.too_long", "field", "/MetaData/ReportUUID", "max", MaxIDRunes)
	}
	if id == "" && tenant != "" && !in.CapturedAt.IsZero() {
		// ScubaGear before 1.5 writes no ReportUUID. The tenant and the
		// assessment time identify such a report just as well.
		id = tenant + "@" + in.CapturedAt.Format(time.RFC3339Nano)
	}
	in.Source.ExternalID = id
	in.Source.TenantID = tenant
	in.Source.ToolVersion = clip(strings.TrimSpace(m.ToolVersion), MaxLabelRunes)
}

// finding maps one control; at is its JSON pointer.
func (c *control) finding(at string, seen map[string]string, probs *problems) (reckon.Finding, bool) {
	ok := true
	id := strings.TrimSpace(c.ID)
	switch {
	case id == "":
		probs.add(at+"/Control ID", "scubagear.missing", "field", at+"/Control ID")
		return reckon.Finding{}, false
	case utf8.RuneCountInString(id) > MaxControlIDRunes:
		probs.add(at+"/Control ID", "scubagear.too_long", "field", at+"/Control ID", "max", MaxControlIDRunes)
		return reckon.Finding{}, false
	}
	if first, dup := seen[id]; dup {
		probs.add(at+"/Control ID", "scubagear.duplicate_control", "control", id, "first", first)
		ok = false
	} else {
		seen[id] = at
	}
	f := reckon.Finding{ControlID: id}
	var known bool
	if f.Status, known = statuses[normalize(c.Result)]; !known {
		probs.add(at+"/Result", "scubagear.unknown_result", "value", clip(c.Result, 64), "control", id)
		ok = false
	}
	if f.Severity, known = severities[normalize(c.Criticality)]; !known {
		probs.add(at+"/Criticality", "scubagear.unknown_criticality", "value", clip(c.Criticality, 64), "control", id)
		ok = false
	}
	if f.Title = plainText(c.Requirement, MaxTitleRunes); f.Title == "" {
		probs.add(at+"/Requirement", "scubagear.missing_requirement", "control", id)
		ok = false
	}
	f.Detail = plainText(c.Details, MaxDetailRunes)
	return f, ok
}

// problems collects validation problems in document order.
type problems struct {
	order  []string
	fields reckon.ValidationErrors
}

func (p *problems) add(field, key string, args ...any) {
	if len(p.order) >= maxProblems || p.has(field) {
		return
	}
	if p.fields == nil {
		p.fields = reckon.ValidationErrors{}
	}
	p.order = append(p.order, field)
	p.fields.Add(field, key, args...)
}

func (p *problems) has(field string) bool {
	_, ok := p.fields[field]
	return ok
}

// err is a validation error whose message is the first problem, so that a
// one-line answer already names what is wrong; Fields holds them all.
func (p *problems) err() error {
	if len(p.order) == 0 {
		return nil
	}
	return &reckon.Error{Code: reckon.CodeValidation, Message: p.fields[p.order[0]], Fields: p.fields}
}
