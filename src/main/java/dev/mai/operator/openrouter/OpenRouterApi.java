package dev.mai.operator.openrouter;

import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.rest.client.inject.RegisterRestClient;

/**
 * The HTTP shape of OpenRouter's key-management endpoints. Bodies travel as JSON text and answers
 * come back as raw responses, so that {@link RestOpenRouterKeys} alone decides how a status code
 * and an error envelope are read (and that nothing here renders an Authorization header).
 */
@RegisterRestClient(configKey = "openrouter")
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public interface OpenRouterApi {

    @GET
    @Path("key")
    Response currentKey(@HeaderParam("Authorization") String authorization);

    @POST
    @Path("keys")
    Response createKey(@HeaderParam("Authorization") String authorization, String body);

    @GET
    @Path("keys")
    Response listKeys(@HeaderParam("Authorization") String authorization, @QueryParam("offset") int offset,
            @QueryParam("include_disabled") String includeDisabled);

    @GET
    @Path("keys/{hash}")
    Response getKey(@HeaderParam("Authorization") String authorization, @PathParam("hash") String hash);

    @PATCH
    @Path("keys/{hash}")
    Response updateKey(@HeaderParam("Authorization") String authorization, @PathParam("hash") String hash, String body);

    @DELETE
    @Path("keys/{hash}")
    Response deleteKey(@HeaderParam("Authorization") String authorization, @PathParam("hash") String hash);
}
