// Package arch holds no code: its test checks that imports between
// Missive's packages point one way (see ../../README.md, "Organisation du
// code"): cmd → mailbridge, webdav, backup, cluster → appliance → store →
// domain.
package arch
