#!/bin/sh
echo inner
