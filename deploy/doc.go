// Package deploy holds what a platform team deploys next to reckon: the
// Prometheus alert rules (reckon.rules.yml, unit-tested by
// reckon.rules.test.yml) and the Grafana dashboard (reckon.dashboard.json).
// Its test checks that every series they query is one reckon serves.
package deploy
