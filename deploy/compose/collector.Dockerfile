# The collector's image for deploy/docker-compose.yml (build context: the repository root).
FROM python:3.11-slim
RUN useradd --system --home-dir /var/lib/veille-collector --shell /usr/sbin/nologin veille-collector \
    && install -d -o veille-collector -g veille-collector -m 0750 /var/lib/veille-collector
COPY pyproject.toml README.md /src/
COPY contract /src/contract
COPY agent /src/agent
COPY collector /src/collector
RUN pip install --no-cache-dir '/src[collector,postgres]' && rm -rf /src
USER veille-collector
WORKDIR /var/lib/veille-collector
EXPOSE 9109
ENTRYPOINT ["veille-collector"]
CMD ["run", "-c", "/etc/veille/collector.toml"]
