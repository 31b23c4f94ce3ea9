package web

import "strings"

// CSVCell keeps a value from being read as a formula by a spreadsheet (CSV
// injection): a cell that starts with =, +, -, @, a tab or a carriage return
// gets a leading apostrophe, which spreadsheets show as text.
func CSVCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
