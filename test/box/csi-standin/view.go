package main

import (
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
)

func viewManager(c *vim25.Client) *view.Manager { return view.NewManager(c) }
