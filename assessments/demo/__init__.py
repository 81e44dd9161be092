"""The demo data: Quảng Nam's ICT index 2014–2015 and the national ranking 2016–2017.

``build`` generates the workbooks of ``fixtures/demo/`` and checks them against the two
articles with the real engine; ``load`` imports them through the portal's services (the
``load_demo`` command). See ``docs/demo.md``.
"""
