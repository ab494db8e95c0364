"""Customer experience: journeys, touchpoint surveys, their channels and trends.

- :mod:`uxlab.cx.models`: the tables (journeys, stages, touchpoints, surveys,
  channels, responses);
- :mod:`uxlab.cx.journeys`: creating and changing journeys and surveys;
- :mod:`uxlab.cx.journey_file`: a journey as YAML, out and in;
- :mod:`uxlab.cx.feedback`: recording a customer's answers from a channel;
- :mod:`uxlab.cx.trends`: NPS, CSAT and CES per period, from SQL aggregates;
- :mod:`uxlab.cx.web`: the members' pages; :mod:`uxlab.cx.public`: the
  public feedback link.
"""
