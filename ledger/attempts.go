package ledger

// SetNode names the node this process works jobs as: the attempts the
// ledger records from now on ran there. 0 (the default) records attempts
// without a node.
func (l *Ledger) SetNode(id int64) { l.node.Store(id) }
