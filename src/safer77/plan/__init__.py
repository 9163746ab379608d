"""Planning: police districts redrawn from beats (``safer77.plan.districting``)."""
