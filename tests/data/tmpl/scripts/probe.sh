#!/bin/sh
test -e /tmp/ready
