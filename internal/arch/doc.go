// Package arch holds no code: its tests check that imports between
// Missive's packages point one way (see ../../README.md, "Organisation du
// code"): cmd → mailbridge, webdav, backup, cluster → appliance → store →
// domain; and that no function or file outgrows a screen (size_test.go).
package arch
