package api

// EncodeCursor lets tests start a list at a chosen keyset position.
var EncodeCursor = encodeCursor
