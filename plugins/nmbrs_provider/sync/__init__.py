"""The payroll sync's imperative shell: Nmbrs and warehouse edges around the functional core."""
